"""One look for every figure in the book, and the plot of a training history.

Introduced in {ref}`sec-intro-torch-optim`.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import seaborn as sns

PALETTE = "colorblind"

def use_style() -> None:
    """Apply the book's figure style (seaborn's colour-blind palette, readable sizes, crisp PNGs)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
    })

def plot_history(history, metrics: Sequence[str] = ("loss",), *, axes=None, title: str | None = None):
    """Draw each metric of a `mlbook.train.History` per epoch, training and validation together.

    `metrics` names the base metric (`"loss"`, `"accuracy"`); returns the matplotlib axes.
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    found = [m for m in metrics if f"train_{m}" in history or f"val_{m}" in history]
    missing = sorted(set(metrics) - set(found))
    if missing:
        raise KeyError(f"history has no records for {missing}; it has {sorted(history.records)}")
    if axes is None:
        _, axes = plt.subplots(1, len(found), figsize=(4.2 * len(found), 3.2), squeeze=False)
        axes = axes[0]
    for ax, metric in zip(axes, found):
        for split in ("train", "val"):
            key = f"{split}_{metric}"
            if key in history:
                values = history[key]
                ax.plot(range(1, len(values) + 1), values, marker="o", ms=3,
                        label="training" if split == "train" else "validation")
        if history.best_epoch is not None:
            ax.axvline(history.best_epoch, color="grey", ls=":", lw=1, label="kept weights")
        ax.set(xlabel="epoch", ylabel=metric)
        ax.legend()
    if title:
        axes[0].figure.suptitle(title)
    return axes
