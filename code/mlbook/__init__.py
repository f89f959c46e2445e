"""mlbook: the shared code of the executable textbook.

`import mlbook` is cheap; a chapter starts with `run = mlbook.start()`, which applies the plotting
style, seeds everything and prints the profile and device it runs on.
"""
from __future__ import annotations

from dataclasses import dataclass

__version__ = "0.1.0"

__all__ = ["RunInfo", "start", "__version__", "data", "device", "plot", "profile", "seed", "train"]
_SUBMODULES = {"data", "device", "plot", "profile", "seed", "train"}


def __getattr__(name: str):
    """Import a submodule on first use, so `mlbook.train.fit` works after a plain `import mlbook`."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'mlbook' has no attribute {name!r}")


@dataclass(frozen=True)
class RunInfo:
    """What a chapter runs on: the profile, the torch device and the seed."""

    profile: str
    device: "object"  # torch.device; typed loosely so that importing mlbook does not import torch
    seed: int

    def __str__(self) -> str:
        import torch

        return f"mlbook {__version__} · profile: {self.profile} · device: {self.device} · torch {torch.__version__}"


def start(seed: int = 0, *, device: str | None = None) -> RunInfo:
    """Prepare a chapter: plotting style, seeds, profile and device; print them and return them.

    Introduced in {ref}`sec-intro-using-the-book`.
    """
    from . import plot, profile
    from .device import get_device
    from .seed import seed_everything

    plot.use_style()
    seed_everything(seed)
    info = RunInfo(profile=profile.active(), device=get_device(device), seed=seed)
    print(info)
    return info
