"""Choosing the device that tensors and models live on. Introduced in {ref}`sec-intro-using-the-book`."""
from __future__ import annotations

import os

import torch

ENV_VAR = "MLBOOK_DEVICE"
KNOWN = ("cuda", "mps", "cpu")


def get_device(prefer: str | None = None) -> torch.device:
    """The best available device: `cuda`, then Apple `mps`, then `cpu`.

    `prefer` (or `$MLBOOK_DEVICE`) forces one; asking for a device that is not there is an error,
    not a silent fallback, so a run never reports numbers from a device it did not use.
    """
    want = (prefer or os.environ.get(ENV_VAR, "")).strip().lower()
    if not want:
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = want.split(":")[0]
    if kind not in KNOWN:
        raise ValueError(f"unknown device {want!r}; expected one of {KNOWN}")
    if kind == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {want!r} requested but CUDA is not available")
    if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise RuntimeError(f"device {want!r} requested but Apple MPS is not available")
    return torch.device(want)
