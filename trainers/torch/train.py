#!/usr/bin/env python3
"""The torch trainer (trainers/CONTRACT.md): ``python3 trainers/torch/train.py <job.json>``.

A softmax classifier over hashed unigram+bigram features (features.py, identical to
ml/features.ts): a single linear layer (hiddenUnits 0) or one hidden ReLU layer, trained with
minibatch SGD (L2 weight decay on the weight matrices, not the biases), on CUDA when
``torch.cuda.is_available()`` (CUDA_VISIBLE_DEVICES is respected), else on the CPU. Exported as
ONNX (``features`` -> ``probabilities``) with the TorchScript-based exporter (``dynamo=False``),
which needs only the ``onnx`` package.

stdout carries only the contract's JSON lines; everything else goes to stderr.
"""

from __future__ import annotations

import json
import math
import os
import signal
import stat
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

EXIT_BAD_INPUT = 2
EXIT_STOPPED = 143
CHECKPOINT_FORMAT = "neuroweaver-torch-checkpoint/1"

# The contract's JSON lines go to a private copy of the original stdout; fd 1 itself is pointed at
# stderr so that anything a library prints (Python or C level) cannot corrupt the protocol.
_out_fd = os.dup(1)
os.dup2(2, 1)
sys.stdout = open(1, "w", buffering=1, closefd=False)
_out = os.fdopen(_out_fd, "w", buffering=1, encoding="utf-8")
_out_lock = threading.Lock()
_out_broken = False

_stop_reason: Optional[str] = None


def request_stop(reason: str) -> None:
    global _stop_reason
    if _stop_reason is None:
        _stop_reason = reason


def emit(obj: Dict[str, Any]) -> None:
    """Writes one JSON line to stdout and flushes it."""
    global _out_broken
    if _out_broken:
        return
    line = json.dumps(obj, ensure_ascii=False, allow_nan=False) + "\n"
    with _out_lock:
        try:
            _out.write(line)
            _out.flush()
        except (BrokenPipeError, OSError):
            # Nobody is reading our stdout any more: the activity (or its worker) is gone.
            _out_broken = True
            request_stop("stdout closed (worker gone)")


def log(level: str, message: str) -> None:
    emit({"type": "log", "level": level, "message": message})


def diag(message: str) -> None:
    print(f"[torch-trainer] {message}", file=sys.stderr, flush=True)


class BadInput(Exception):
    """Bad job, hyperparameters or dataset: exit 2, never retried."""


class Stopped(Exception):
    """SIGTERM/SIGINT or stdin EOF: stop promptly, clean up, exit non-zero."""


def check_stop() -> None:
    if _stop_reason is not None:
        raise Stopped(_stop_reason)


def _install_stop_handlers() -> None:
    signal.signal(signal.SIGTERM, lambda *_: request_stop("SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: request_stop("SIGINT"))
    # The activity's stdin pipe is never written to: EOF means the worker is gone. Run by hand with
    # stdin from a terminal, a file or /dev/null, there is no pipe to watch.
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return

    def watch() -> None:
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        request_stop("stdin closed (worker gone)")

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


# --------------------------------------------------------------------------------------------
# Job, hyperparameters, dataset

# Same ranges as ml/hyperparameters.ts (HyperparametersSchema); unknown keys are rejected.
HYPERPARAMETERS: Dict[str, Tuple[type, Any, float, float, bool]] = {
    # name: (kind, default, min, max, min exclusive)
    "epochs": (int, 8, 1, 1000, False),
    "learningRate": (float, 5.0, 0, 10, True),
    "batchSize": (int, 16, 1, 4096, False),
    "seed": (int, 42, 0, 2_147_483_647, False),
    "hiddenUnits": (int, 0, 0, 4096, False),
    "l2": (float, 0.0001, 0, 1, False),
}


def resolve_hyperparameters(raw: Any) -> Dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BadInput("hyperparameters must be an object")
    unknown = sorted(set(raw) - set(HYPERPARAMETERS))
    if unknown:
        raise BadInput(f"hyperparameters.{unknown[0]}: unknown hyperparameter")
    out: Dict[str, Any] = {}
    for name, (kind, default, lo, hi, lo_exclusive) in HYPERPARAMETERS.items():
        value = raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BadInput(f"hyperparameters.{name}: expected a number, got {json.dumps(value)}")
        if kind is int:
            if float(value) != int(value):
                raise BadInput(f"hyperparameters.{name}: expected an integer, got {value}")
            value = int(value)
        else:
            value = float(value)
        if value < lo or (lo_exclusive and value == lo) or value > hi:
            low = f"> {lo}" if lo_exclusive else f">= {lo}"
            raise BadInput(f"hyperparameters.{name}: must be {low} and <= {hi}, got {value}")
        out[name] = value
    return out


def read_job(path: str) -> Dict[str, Any]:
    try:
        with open(path, "r", encoding="utf-8") as f:
            job = json.load(f)
    except FileNotFoundError:
        raise BadInput(f"job file {path} not found")
    except (OSError, ValueError) as err:
        raise BadInput(f"job file {path} is not valid JSON: {err}")
    if not isinstance(job, dict):
        raise BadInput("job file must hold a JSON object")
    for key in ("datasetDir", "outputDir", "checkpointDir"):
        if not isinstance(job.get(key), str) or not job[key]:
            raise BadInput(f"job.{key} must be a non-empty path")
    label_field = job.get("labelField", "specialization")
    if not isinstance(label_field, str) or not label_field:
        raise BadInput("job.labelField must be a non-empty string")
    job["labelField"] = label_field
    job["hyperparameters"] = resolve_hyperparameters(job.get("hyperparameters"))
    resume = job.get("resumeFrom")
    if resume is not None:
        if (
            not isinstance(resume, dict)
            or not isinstance(resume.get("path"), str)
            or isinstance(resume.get("epoch"), bool)
            or not isinstance(resume.get("epoch"), int)
            or resume["epoch"] < 1
        ):
            raise BadInput("job.resumeFrom must be {path: string, epoch: positive integer}")
    return job


def _read_examples(path: str, label_field: str, labels: List[str]) -> Tuple[List[str], List[int]]:
    name = os.path.basename(path)
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = f.read()
    except FileNotFoundError:
        raise BadInput(f"{name} not found in the dataset")
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"{name} cannot be read: {err}")
    index = {label: i for i, label in enumerate(labels)}
    texts: List[str] = []
    ys: List[int] = []
    for n, line in enumerate(raw.split("\n"), start=1):
        if (n & 1023) == 0:
            check_stop()
        if line.strip() == "":
            continue
        where = f"{name} line {n}"
        try:
            row = json.loads(line)
        except ValueError:
            raise BadInput(f"{where} is not valid JSON")
        if not isinstance(row, dict):
            raise BadInput(f"{where} is not a JSON object")
        text = row.get("text")
        if not isinstance(text, str) or text.strip() == "":
            raise BadInput(f"{where} has no text")
        label = row.get(label_field)
        if not isinstance(label, str) or label not in index:
            raise BadInput(f"{where}: {label_field} {json.dumps(label)} is not one of {', '.join(labels)}")
        texts.append(text)
        ys.append(index[label])
    return texts, ys


def load_dataset(directory: str, label_field: str) -> Dict[str, Any]:
    manifest_path = os.path.join(directory, "dataset.json")
    try:
        with open(manifest_path, "r", encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise BadInput(f"dataset manifest {manifest_path} not found")
    except (OSError, ValueError) as err:
        raise BadInput(f"dataset.json is not valid JSON: {err}")
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if (
        not isinstance(manifest, dict)
        or not isinstance(manifest.get("name"), str)
        or not isinstance(manifest.get("labels"), dict)
        or not isinstance(files, dict)
        or not isinstance(files.get("train"), str)
        or not isinstance(files.get("holdout"), str)
    ):
        raise BadInput("dataset.json must have name, labels and files.train / files.holdout")
    labels = manifest["labels"].get(label_field)
    if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) for x in labels):
        raise BadInput(f'dataset.json lists no labels for "{label_field}" (needs at least two)')
    if len(set(labels)) != len(labels):
        raise BadInput(f'dataset.json lists duplicate labels for "{label_field}"')
    train = _read_examples(os.path.join(directory, files["train"]), label_field, labels)
    holdout = _read_examples(os.path.join(directory, files["holdout"]), label_field, labels)
    if not train[0]:
        raise BadInput("the train split is empty")
    if not holdout[0]:
        raise BadInput("the holdout split is empty")
    return {"name": manifest["name"], "labels": labels, "train": train, "holdout": holdout}


# --------------------------------------------------------------------------------------------
# Files

_temp_files: List[str] = []


def _temp_name(path: str) -> str:
    tmp = f"{path}.tmp-{os.getpid()}"
    _temp_files.append(tmp)
    return tmp


def _finish_temp(tmp: str, path: str) -> None:
    os.replace(tmp, path)
    if tmp in _temp_files:
        _temp_files.remove(tmp)


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = _temp_name(path)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    _finish_temp(tmp, path)


def remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


# --------------------------------------------------------------------------------------------
# Training


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        log("error", "usage: python3 trainers/torch/train.py <job.json>")
        return EXIT_BAD_INPUT
    _install_stop_handlers()
    outputs: List[str] = []  # final outputs written by this run, removed again if it stops early
    output_dir = None  # set when this run creates outputDir: removed again (if empty) on failure
    succeeded = False
    try:
        job = read_job(argv[1])
        if not os.path.exists(job["outputDir"]):
            output_dir = job["outputDir"]
        code = train(job, outputs)
        succeeded = code == 0
        return code
    except BadInput as err:
        log("error", str(err))
        return EXIT_BAD_INPUT
    except Stopped as err:
        log("warn", f"stopped: {err}")
        return EXIT_STOPPED
    except KeyboardInterrupt:
        log("warn", "stopped: SIGINT")
        return EXIT_STOPPED
    except Exception as err:  # noqa: BLE001 - anything else may be retried
        import traceback

        traceback.print_exc(file=sys.stderr)
        log("error", f"{type(err).__name__}: {err}")
        return 1
    finally:
        for tmp in list(_temp_files):
            remove_quietly(tmp)
        # `outputs` is cleared by train() once the artifact line is out; anything left is partial.
        for path in outputs:
            remove_quietly(path)
        if output_dir and not succeeded:
            try:
                os.rmdir(output_dir)  # only if empty
            except OSError:
                pass


def train(job: Dict[str, Any], outputs: List[str]) -> int:
    hp = job["hyperparameters"]
    dataset = load_dataset(job["datasetDir"], job["labelField"])
    check_stop()

    # Imported after the cheap checks: bad input fails fast without loading torch.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch

    from features import DIM, FEATURIZER, featurize_batch

    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    labels: List[str] = dataset["labels"]
    train_texts, train_y = dataset["train"]
    holdout_texts, holdout_y = dataset["holdout"]
    t0 = time.perf_counter()
    x_train = featurize_batch(train_texts, DIM).to(device)
    check_stop()
    x_holdout = featurize_batch(holdout_texts, DIM).to(device)
    y_train = torch.tensor(train_y, dtype=torch.long, device=device)
    y_holdout = torch.tensor(holdout_y, dtype=torch.long, device=device)
    n = len(train_y)
    log(
        "info",
        f"torch trainer: {n} train / {len(holdout_y)} holdout examples, {len(labels)} labels, "
        f"device {device.type}, torch {torch.__version__} (featurized in {time.perf_counter() - t0:.2f}s)",
    )
    check_stop()

    torch.manual_seed(hp["seed"])
    hidden = hp["hiddenUnits"]
    if hidden > 0:
        model = torch.nn.Sequential(torch.nn.Linear(DIM, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, len(labels)))
    else:
        model = torch.nn.Sequential(torch.nn.Linear(DIM, len(labels)))
        with torch.no_grad():  # convex: start from zero, like the builtin trainer
            model[0].weight.zero_()
            model[0].bias.zero_()
    model.to(device)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.SGD(
        [{"params": weights, "weight_decay": hp["l2"]}, {"params": biases, "weight_decay": 0.0}],
        lr=hp["learningRate"],
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    shuffle = torch.Generator(device="cpu")
    shuffle.manual_seed(hp["seed"])

    first_epoch = 1
    last_epoch_loss = float("nan")
    if job.get("resumeFrom"):
        resume = job["resumeFrom"]
        try:
            ckpt = torch.load(resume["path"], map_location="cpu", weights_only=True)  # RNG states must stay on the CPU
        except FileNotFoundError:
            raise BadInput(f"resumeFrom checkpoint {resume['path']} not found")
        except Exception as err:  # noqa: BLE001
            raise BadInput(f"resumeFrom checkpoint {resume['path']} cannot be read: {err}")
        if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
            raise BadInput(f"resumeFrom checkpoint {resume['path']} is not a torch trainer checkpoint")
        if ckpt.get("epoch") != resume["epoch"]:
            raise BadInput(f"resumeFrom says epoch {resume['epoch']} but the checkpoint holds epoch {ckpt.get('epoch')}")
        saved_hp = {k: v for k, v in ckpt.get("hyperparameters", {}).items() if k != "epochs"}
        wanted_hp = {k: v for k, v in hp.items() if k != "epochs"}
        if saved_hp != wanted_hp or ckpt.get("labels") != labels or ckpt.get("dim") != DIM:
            raise BadInput("resumeFrom checkpoint was written for other hyperparameters, labels or features")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        shuffle.set_state(ckpt["shuffleRng"])
        torch.set_rng_state(ckpt["torchRng"])
        if device.type == "cuda" and ckpt.get("cudaRng") is not None:
            torch.cuda.set_rng_state(ckpt["cudaRng"])
        if ckpt.get("device") != device.type:
            log("warn", f"checkpoint was written on {ckpt.get('device')}, resuming on {device.type}: results may differ slightly from an uninterrupted run")
        last_epoch_loss = float(ckpt.get("epochLoss", float("nan")))
        first_epoch = ckpt["epoch"] + 1
        log("info", f"resumed from epoch {ckpt['epoch']} ({resume['path']})")

    epochs = hp["epochs"]
    batch_size = hp["batchSize"]
    steps_per_epoch = (n + batch_size - 1) // batch_size
    total_samples = 0
    train_seconds = 0.0
    last_progress = 0.0
    for epoch in range(first_epoch, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=shuffle).to(device)
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        seen = 0
        epoch_start = time.perf_counter()
        for step in range(steps_per_epoch):
            check_stop()
            idx = order[step * batch_size : (step + 1) * batch_size]
            xb = x_train.index_select(0, idx)
            yb = y_train.index_select(0, idx)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach().double() * idx.numel()
            seen += idx.numel()
            now = time.perf_counter()
            last = step == steps_per_epoch - 1
            if last or now - last_progress >= 0.2:
                mean_loss = float(loss_sum.item())  # syncs with the device, so the rate is real
                now = time.perf_counter()
                last_progress = now
                emit(
                    {
                        "type": "progress",
                        "epoch": epoch,
                        "totalEpochs": epochs,
                        "step": (epoch - 1) * steps_per_epoch + step + 1,
                        "totalSteps": epochs * steps_per_epoch,
                        "loss": mean_loss / seen,
                        "samplesPerSec": round(seen / max(now - epoch_start, 1e-6)),
                    }
                )
        train_seconds += time.perf_counter() - epoch_start
        total_samples += seen
        last_epoch_loss = float(loss_sum.item()) / seen
        check_stop()

        ckpt_path = os.path.join(job["checkpointDir"], f"epoch-{epoch}.ckpt")
        os.makedirs(job["checkpointDir"], exist_ok=True)
        tmp = _temp_name(ckpt_path)
        torch.save(
            {
                "format": CHECKPOINT_FORMAT,
                "epoch": epoch,
                "epochLoss": last_epoch_loss,
                "hyperparameters": dict(hp),
                "labels": list(labels),
                "dim": DIM,
                "device": device.type,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "shuffleRng": shuffle.get_state(),
                "torchRng": torch.get_rng_state(),
                "cudaRng": torch.cuda.get_rng_state() if device.type == "cuda" else None,
            },
            tmp,
        )
        _fsync_file(tmp)
        _finish_temp(tmp, ckpt_path)
        emit({"type": "checkpoint", "path": os.path.abspath(ckpt_path), "epoch": epoch})

    check_stop()
    model.eval()
    with torch.no_grad():
        train_logits = model(x_train)
        holdout_logits = model(x_holdout)
        train_pred = train_logits.argmax(dim=1)
        holdout_pred = holdout_logits.argmax(dim=1)
        holdout_loss = float(loss_fn(holdout_logits, y_holdout).item())
        if not math.isfinite(last_epoch_loss):  # resumed after the last epoch: no epoch ran here
            last_epoch_loss = float(loss_fn(train_logits, y_train).item())
        f1s = []
        for c in range(len(labels)):
            tp = int(((holdout_pred == c) & (y_holdout == c)).sum().item())
            fp = int(((holdout_pred == c) & (y_holdout != c)).sum().item())
            fn = int(((holdout_pred != c) & (y_holdout == c)).sum().item())
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
        metrics = {
            "type": "metrics",
            "trainAccuracy": float((train_pred == y_train).double().mean().item()),
            "holdoutAccuracy": float((holdout_pred == y_holdout).double().mean().item()),
            "loss": last_epoch_loss,
            "holdoutLoss": holdout_loss,
            "holdoutMacroF1": sum(f1s) / len(f1s),
        }
    if not all(math.isfinite(v) for k, v in metrics.items() if k != "type"):
        raise BadInput(f"training diverged (non-finite metrics {metrics}); try a lower learningRate")  # a retry would too
    emit(metrics)
    if total_samples:
        log("info", f"trained {total_samples} samples in {train_seconds:.2f}s ({total_samples / max(train_seconds, 1e-6):.0f} samples/s)")
    check_stop()

    # ONNX export of model + softmax, on the CPU.
    os.makedirs(job["outputDir"], exist_ok=True)
    model_path = os.path.abspath(os.path.join(job["outputDir"], "model.onnx"))
    manifest_path = os.path.abspath(os.path.join(job["outputDir"], "manifest.json"))
    export_onnx(torch, model, model_path, outputs)
    check_stop()
    manifest = {
        "format": "onnx",
        "trainer": "torch",
        "featurizer": FEATURIZER,
        "labelField": job["labelField"],
        "labels": labels,
        "input": "features",
        "output": "probabilities",
        "hyperparameters": hp,
        "dataset": {"name": dataset["name"], "trainExamples": n, "holdoutExamples": len(holdout_y)},
        "device": device.type,
    }
    outputs.append(manifest_path)
    write_atomically(manifest_path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    check_stop()
    emit({"type": "artifact", "path": model_path, "format": "onnx", "manifestPath": manifest_path})
    outputs.clear()  # complete: nothing to take back
    return 0


def export_onnx(torch, model, path: str, outputs: List[str]) -> None:
    import copy
    import warnings

    from features import DIM

    class WithSoftmax(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, features):
            return torch.softmax(self.inner(features), dim=1)

    cpu_model = WithSoftmax(copy.deepcopy(model).to("cpu")).eval()
    tmp = _temp_name(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            cpu_model,
            (torch.zeros((2, DIM), dtype=torch.float32),),
            tmp,
            input_names=["features"],
            output_names=["probabilities"],
            dynamic_axes={"features": {0: "batch"}, "probabilities": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    _fsync_file(tmp)
    outputs.append(path)
    _finish_temp(tmp, path)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    code = main(sys.argv)
    for stream in (_out, sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass
    # Skips the interpreter's (slow, with torch loaded) teardown so that a stop is prompt.
    os._exit(code)
