"""Tests of the torch trainer: python3 -m unittest discover -s trainers/torch -p 'test_*.py'"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.join(HERE, "train.py")
sys.path.insert(0, HERE)

from features import DIM, featurize, featurize_sparse, fnv1a32, tokenize  # noqa: E402

LABELS = ["automotive-sales", "parts-specialist", "service-advisor"]
WORDS = {
    "automotive-sales": "buy price lease financing suv sedan trade dealer certified deal".split(),
    "parts-specialist": "brake pads filter rotor part oem gasket alternator battery order".split(),
    "service-advisor": "oil change appointment repair inspection warranty tire rotation service".split(),
}
PROGRESS_FIELDS = ("epoch", "totalEpochs", "step", "totalSteps", "loss", "samplesPerSec")


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


class FeaturizerTest(unittest.TestCase):
    def test_matches_typescript_golden_values(self):
        with open(os.path.join(HERE, "features_golden.json"), encoding="utf-8") as f:
            golden = json.load(f)
        self.assertEqual(golden["dim"], DIM)
        self.assertGreaterEqual(len(golden["cases"]), 10)
        for case in golden["cases"]:
            with self.subTest(text=case["text"]):
                sparse = [[i, f32(v)] for i, v in featurize_sparse(case["text"])]
                self.assertEqual(sparse, case["nonzero"])  # same buckets, bit-identical float32
                dense = featurize(case["text"])
                nz = dense.nonzero().flatten().tolist()
                self.assertEqual(nz, [i for i, _ in case["nonzero"]])
                self.assertEqual([float(dense[i]) for i in nz], [v for _, v in case["nonzero"]])

    def test_basics(self):
        self.assertEqual(fnv1a32(""), 0x811C9DC5)
        self.assertEqual(fnv1a32("a"), 0xE40C292C)  # the published FNV-1a test vector
        self.assertEqual(tokenize("Citroën C4, 60k-mile!"), ["citro", "n", "c4", "60k", "mile"])
        self.assertEqual(float(featurize("").abs().sum()), 0.0)


def write_dataset(directory: str, train: int = 45, holdout: int = 15) -> None:
    rng = random.Random(7)
    os.makedirs(directory, exist_ok=True)

    def rows(count):
        out = []
        for i in range(count):
            label = LABELS[i % 3]
            words = WORDS[label] + ["the", "a", "my", "car"]
            out.append({"text": " ".join(rng.choice(words) for _ in range(6)), "specialization": label, "intent": "x"})
        return out

    for name, count in (("train", train), ("holdout", holdout)):
        with open(os.path.join(directory, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            f.write("".join(json.dumps(r) + "\n" for r in rows(count)))
    manifest = {"name": "synthetic", "labels": {"specialization": LABELS}, "files": {"train": "train.jsonl", "holdout": "holdout.jsonl"}}
    with open(os.path.join(directory, "dataset.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f)


class TrainerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="torch-trainer-test-")
        self.dataset = os.path.join(self.tmp, "dataset")
        write_dataset(self.dataset)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def job(self, name: str, **extra) -> str:
        job = {
            "jobId": name,
            "datasetDir": self.dataset,
            "outputDir": os.path.join(self.tmp, name, "model"),
            "checkpointDir": os.path.join(self.tmp, name, "checkpoints"),
            "labelField": "specialization",
            "hyperparameters": {"epochs": 3, "batchSize": 8, "seed": 7},
        }
        job.update(extra)
        path = os.path.join(self.tmp, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(job, f)
        return path

    def run_trainer(self, job_path: str):
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
        proc = subprocess.run(
            [sys.executable, TRAIN, job_path], stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=300
        )
        lines = [json.loads(line) for line in proc.stdout.splitlines()]  # every stdout line is JSON
        return proc, lines

    def check_contract(self, lines, epochs):
        for line in lines:
            self.assertIn(line["type"], ("progress", "checkpoint", "metrics", "artifact", "log"), line)
            if line["type"] == "progress":
                for field in PROGRESS_FIELDS:
                    self.assertIsInstance(line[field], (int, float), field)
                self.assertEqual(line["totalEpochs"], 3)
            if line["type"] == "log":
                self.assertIn(line["level"], ("debug", "info", "warn", "error"))
                self.assertIsInstance(line["message"], str)
        self.assertEqual(sorted({l["epoch"] for l in lines if l["type"] == "progress"}), epochs)
        checkpoints = [l for l in lines if l["type"] == "checkpoint"]
        self.assertEqual([c["epoch"] for c in checkpoints], epochs)
        for c in checkpoints:
            self.assertTrue(os.path.isfile(c["path"]))
            self.assertTrue(c["path"].endswith(f"epoch-{c['epoch']}.ckpt"))
        metrics = [l for l in lines if l["type"] == "metrics"]
        self.assertEqual(len(metrics), 1)
        for key in ("trainAccuracy", "holdoutAccuracy", "loss"):
            self.assertIsInstance(metrics[0][key], float)
        artifacts = [l for l in lines if l["type"] == "artifact"]
        self.assertEqual(len(artifacts), 1)
        self.assertEqual(artifacts[0]["format"], "onnx")
        self.assertTrue(os.path.isfile(artifacts[0]["path"]))
        with open(artifacts[0]["manifestPath"], encoding="utf-8") as f:
            manifest = json.load(f)
        self.assertEqual(manifest["trainer"], "torch")
        self.assertEqual(manifest["labels"], LABELS)
        self.assertEqual((manifest["input"], manifest["output"]), ("features", "probabilities"))
        self.assertEqual(manifest["featurizer"]["dim"], DIM)
        self.assertEqual(manifest["dataset"], {"name": "synthetic", "trainExamples": 45, "holdoutExamples": 15})
        self.assertIn(manifest["device"], ("cpu", "cuda"))
        return metrics[0], artifacts[0]

    def test_train_and_resume(self):
        import onnx
        import torch

        proc, lines = self.run_trainer(self.job("full"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        metrics, artifact = self.check_contract(lines, [1, 2, 3])
        self.assertGreater(metrics["holdoutAccuracy"], 0.5)

        model = onnx.load(artifact["path"])
        onnx.checker.check_model(model)
        self.assertGreaterEqual(max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
        (inp,), (out,) = model.graph.input, model.graph.output
        self.assertEqual((inp.name, out.name), ("features", "probabilities"))
        self.assertTrue(inp.type.tensor_type.shape.dim[0].dim_param)  # dynamic batch
        self.assertEqual(inp.type.tensor_type.shape.dim[1].dim_value, DIM)

        first = os.path.join(self.tmp, "full", "checkpoints", "epoch-1.ckpt")
        proc, resumed = self.run_trainer(self.job("resumed", resumeFrom={"path": first, "epoch": 1}))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        resumed_metrics, _ = self.check_contract(resumed, [2, 3])
        self.assertEqual(resumed_metrics, metrics)
        a = torch.load(os.path.join(self.tmp, "full", "checkpoints", "epoch-3.ckpt"), weights_only=True)
        b = torch.load(os.path.join(self.tmp, "resumed", "checkpoints", "epoch-3.ckpt"), weights_only=True)
        for key in a["model"]:
            self.assertTrue(torch.equal(a["model"][key], b["model"][key]), key)

    def test_bad_hyperparameters_exit_2(self):
        for bad in ({"epochs": 0}, {"batchSize": 2.5}, {"learningRate": -1}, {"seed": "x"}, {"dropout": 0.1}):
            with self.subTest(bad=bad):
                proc, lines = self.run_trainer(self.job("bad", hyperparameters=bad))
                self.assertEqual(proc.returncode, 2)
                self.assertEqual(lines[-1]["type"], "log")
                self.assertEqual(lines[-1]["level"], "error")
                self.assertFalse(os.path.exists(os.path.join(self.tmp, "bad", "model")))

    def test_missing_dataset_exit_2(self):
        proc, lines = self.run_trainer(self.job("nodata", datasetDir=os.path.join(self.tmp, "missing")))
        self.assertEqual(proc.returncode, 2)
        self.assertEqual((lines[-1]["type"], lines[-1]["level"]), ("log", "error"))

    def test_sigterm_and_stdin_eof_stop_without_outputs(self):
        job = self.job("long", hyperparameters={"epochs": 1000, "batchSize": 1})
        for how in ("sigterm", "stdin"):
            with self.subTest(how=how):
                env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
                with subprocess.Popen(
                    [sys.executable, TRAIN, job], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
                ) as proc:
                    code, rest, elapsed = self.stop_after_first_checkpoint(proc, how)
                self.assertNotEqual(code, 0)
                self.assertLess(elapsed, 10)
                self.assertTrue(all(json.loads(l)["type"] != "artifact" for l in rest.splitlines()))
                self.assertFalse(os.path.exists(os.path.join(self.tmp, "long", "model", "model.onnx")))
                leftovers = [f for f in os.listdir(os.path.join(self.tmp, "long", "checkpoints")) if ".tmp-" in f]
                self.assertEqual(leftovers, [])

    @staticmethod
    def stop_after_first_checkpoint(proc, how):
        for line in proc.stdout:  # wait until training is under way
            if json.loads(line)["type"] == "checkpoint":
                break
        start = time.monotonic()
        if how == "sigterm":
            proc.send_signal(signal.SIGTERM)
        else:
            proc.stdin.close()
        rest = proc.stdout.read().decode()
        code = proc.wait(timeout=30)
        return code, rest, time.monotonic() - start


if __name__ == "__main__":
    unittest.main()
