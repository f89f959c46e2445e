"""Execution profiles: `quick` (CPU, what CI runs) and `full` (GPU, the published numbers).

Introduced in {ref}`sec-intro-using-the-book`. A chapter scales with the profile only through the
amount of work (epochs, subset sizes, widths), never through a different code path.
"""
from __future__ import annotations

import os
from typing import TypeVar

PROFILES = ("quick", "full")
ENV_VAR = "MLBOOK_PROFILE"

T = TypeVar("T")


def _accelerator_present() -> bool:
    try:
        import torch
    except ImportError:  # the profile must be readable without torch
        return False
    mps = getattr(torch.backends, "mps", None)
    return torch.cuda.is_available() or bool(mps and mps.is_available())


def active() -> str:
    """The active profile: `$MLBOOK_PROFILE` if set, else `full` with a GPU and `quick` without."""
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if not value:
        return "full" if _accelerator_present() else "quick"
    if value not in PROFILES:
        raise ValueError(f"unknown profile {value!r} in ${ENV_VAR}; expected one of {PROFILES}")
    return value


def pick(*, quick: T, full: T) -> T:
    """Return the value for the active profile, e.g. `epochs = pick(quick=3, full=20)`."""
    return quick if active() == "quick" else full
