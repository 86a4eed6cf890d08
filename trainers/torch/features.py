"""The shared featurizer (trainers/CONTRACT.md), mirroring ml/features.ts.

Lower-cased text, tokens ``[a-z0-9]+``, unigrams and bigrams (joined by one space), each hashed
with FNV-1a 32-bit over its UTF-8 bytes into ``hash % dim`` buckets; counts, then L2-normalised.
Values are computed exactly like the TypeScript code (count * (1 / sqrt(sum of squares)) in double
precision, then rounded once to float32), so they match it bit for bit.
"""

from __future__ import annotations

import math
import re
from typing import Dict, Iterable, List, Tuple

DIM = 4096

FEATURIZER = {
    "type": "hashed-ngrams",
    "hash": "fnv1a32",
    "dim": DIM,
    "ngrams": [1, 2],
    "lowercase": True,
    "tokenPattern": "[a-z0-9]+",
    "normalize": "l2",
}

_TOKEN = re.compile(r"[a-z0-9]+")
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv1a32(text: str) -> int:
    """FNV-1a, 32 bit, over the UTF-8 bytes of ``text``."""
    h = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def tokenize(text: str) -> List[str]:
    return _TOKEN.findall(text.lower())


def ngrams(tokens: List[str], orders: Iterable[int] = (1, 2)) -> List[str]:
    out: List[str] = []
    for n in orders:
        for i in range(len(tokens) - n + 1):
            out.append(" ".join(tokens[i : i + n]))
    return out


def featurize_sparse(text: str, dim: int = DIM) -> List[Tuple[int, float]]:
    """The nonzero features of ``text`` as sorted (index, value) pairs; values are doubles to be
    rounded to float32 (``torch.tensor(..., dtype=torch.float32)`` does that)."""
    counts: Dict[int, int] = {}
    for gram in ngrams(tokenize(text)):
        bucket = fnv1a32(gram) % dim
        counts[bucket] = counts.get(bucket, 0) + 1
    norm = 0.0
    for c in counts.values():
        norm += float(c) * float(c)
    if norm <= 0:
        return []
    scale = 1.0 / math.sqrt(norm)
    return [(i, c * scale) for i, c in sorted(counts.items())]


def featurize_batch(texts: List[str], dim: int = DIM):
    """A dense float32 tensor [len(texts), dim] of features."""
    import torch

    rows: List[int] = []
    cols: List[int] = []
    vals: List[float] = []
    for r, text in enumerate(texts):
        for i, v in featurize_sparse(text, dim):
            rows.append(r)
            cols.append(i)
            vals.append(v)
    out = torch.zeros((len(texts), dim), dtype=torch.float32)
    if vals:
        out[torch.tensor(rows, dtype=torch.long), torch.tensor(cols, dtype=torch.long)] = torch.tensor(
            vals, dtype=torch.float64
        ).to(torch.float32)
    return out


def featurize(text: str, dim: int = DIM):
    """A dense float32 tensor [dim] of the features of ``text``."""
    return featurize_batch([text], dim)[0]
