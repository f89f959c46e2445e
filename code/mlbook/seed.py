"""Seeding, so that a chapter run twice on one machine prints the same numbers.

Introduced in {ref}`sec-intro-using-the-book`.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int = 0, *, deterministic: bool = True) -> np.random.Generator:
    """Seed Python, NumPy and torch (all devices); return a fresh NumPy `Generator` for new code.

    With `deterministic`, ask torch for deterministic kernels where that is cheap: cuDNN's
    autotuner is switched off and non-deterministic algorithms warn instead of running silently.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses; this process's hash seed is fixed at start
    if deterministic:
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        torch.use_deterministic_algorithms(True, warn_only=True)
        # cuBLAS needs this to be deterministic; harmless elsewhere.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return np.random.default_rng(seed)
