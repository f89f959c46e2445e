"""mlbook: the shared code of the executable textbook.

`import mlbook` is cheap; a chapter starts with `run = mlbook.start()`, which applies the plotting
style, seeds everything and prints the profile and device it runs on.
"""
from __future__ import annotations

from dataclasses import dataclass

__version__ = "0.1.0"

__all__ = ["RunInfo", "glue", "start", "__version__",
           "data", "device", "models", "plot", "profile", "seed", "text", "train"]
_SUBMODULES = {"data", "device", "models", "plot", "profile", "seed", "text", "train"}


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


# Every value a chapter glued in this process, by name: on Colab (no myst-nb) this is where they go.
GLUED: dict[str, object] = {}


def glue(name: str, value, display: bool = False):
    """Record `value` under `name` so that the prose can cite it (``{glue:text}`name:.2f` ``); return `value`.

    In the book's build this is myst-nb's `glue`. Where myst-nb is absent (a Colab notebook) the value is kept in
    `mlbook.GLUED` and, with `display=True`, shown as the cell's output. Chapters glue only through this function.
    Introduced in {ref}`sec-intro-using-the-book`.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue name must be an identifier-like string, got {name!r}")
    GLUED[name] = value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab, or any plain Jupyter: keep the value, show it if asked
        if display:
            from IPython.display import display as show

            show(value)
        return value
    myst_glue(name, value, display=display)
    return value
