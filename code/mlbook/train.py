"""A small, generic training loop for torch models. Introduced in {ref}`sec-intro-torch-optim`.

`fit` takes the training data either as a `DataLoader` or as a tuple of tensors `(X, y)`; a tuple
is batched on its own device with a seeded shuffle, so a small data set can live on the GPU whole and
no batch is copied from the host in the hot loop.
"""
from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm import tqdm  # the plain bar: tqdm.auto warns without ipywidgets, and the bar is off in logs anyway

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
Data = tuple[torch.Tensor, torch.Tensor] | torch.utils.data.DataLoader
Metric = Callable[[torch.Tensor, torch.Tensor], float]


@dataclass
class History:
    """Per-epoch records of `fit`: `history["train_loss"]`, `history["val_accuracy"]`, ..."""

    records: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None  # 1-based epoch whose weights were kept (early stopping)
    seconds: float = 0.0  # wall time of the whole fit

    def log(self, **values: float) -> None:
        for key, value in values.items():
            self.records.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.records:
            raise KeyError(f"no record {key!r}; history has {sorted(self.records)}")
        return self.records[key]

    def __contains__(self, key: str) -> bool:
        return key in self.records

    @property
    def epochs(self) -> int:
        return len(self.records.get("train_loss", []))

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / max(self.epochs, 1)


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of rows whose arg-max (or, for one logit per row, sign) matches the target."""
    if outputs.shape[0] != targets.reshape(-1).shape[0] or targets.numel() != outputs.shape[0]:
        raise ValueError(f"accuracy: {outputs.shape[0]} rows of outputs {tuple(outputs.shape)} but targets have "
                         f"shape {tuple(targets.shape)}; expected one target per row")
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        predicted = (outputs.reshape(-1) > 0).long()
    else:
        predicted = outputs.argmax(dim=-1)
    return (predicted == targets.reshape(-1).long()).float().mean().item()


def _check_tensors(data: tuple[torch.Tensor, torch.Tensor], name: str) -> None:
    if len(data) != 2 or not all(isinstance(t, torch.Tensor) for t in data):
        raise TypeError(f"{name} must be a DataLoader or a tuple (X, y) of tensors")
    x, y = data
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{name}: X has {x.shape[0]} rows but y has {y.shape[0]}; they must match")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty")


def batches(data: Data, batch_size: int, *, shuffle: bool, generator: torch.Generator | None = None) -> Batches:
    """Yield `(x, y)` batches from a DataLoader or from tensors kept on their own device."""
    if isinstance(data, torch.utils.data.DataLoader):
        yield from data
        return
    x, y = data
    n = x.shape[0]
    order = torch.randperm(n, generator=generator).to(x.device) if shuffle else None
    for start in range(0, n, batch_size):
        if shuffle:
            idx = order[start : start + batch_size]
            yield x.index_select(0, idx), y.index_select(0, idx)  # a gather, cheaper than fancy indexing
        else:
            yield x[start : start + batch_size], y[start : start + batch_size]


MEAN_REDUCTIONS = ("mean", "batchmean")  # losses whose value is a mean over the batch's rows


def _check_loss_fn(loss_fn: Callable) -> None:
    """`fit` and `evaluate` weight each batch's loss by its size: the loss must be a mean over the batch."""
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    reduction = getattr(loss_fn, "reduction", None)  # nn.CrossEntropyLoss(reduction=...) and friends
    keywords = getattr(loss_fn, "keywords", None)  # functools.partial(F.cross_entropy, reduction=...)
    if reduction is None and isinstance(keywords, dict):
        reduction = keywords.get("reduction")
    if reduction is not None and reduction not in MEAN_REDUCTIONS:
        raise ValueError(f"loss_fn must return the mean loss over a batch (reduction='mean'), got reduction="
                         f"{reduction!r}: fit and evaluate average batches weighted by their size")


def _batch_loss(loss: torch.Tensor) -> torch.Tensor:
    if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return one number per batch (a 0-dim tensor, the batch mean), got {shape}; "
                         f"use reduction='mean'")
    return loss


@torch.no_grad()
def evaluate(model: nn.Module, data: Data, loss_fn: Callable, *, metrics: Mapping[str, Metric] | None = None,
             batch_size: int = 1024, device: torch.device | str | None = None) -> dict[str, float]:
    """Mean loss and metrics of `model` over `data`, in eval mode, weighted by batch size.

    `loss_fn` and each metric must return the mean over the batch (a loss with `reduction='sum'` or `'none'` is
    an error), so that the weighted average is the mean over every row of `data`.
    """
    _check_loss_fn(loss_fn)
    if not isinstance(data, torch.utils.data.DataLoader):
        _check_tensors(data, "data")
    was_training = model.training
    model.eval()
    totals: dict[str, float] = {}
    count = 0
    try:
        for x, y in batches(data, batch_size, shuffle=False):
            if device is not None:
                x, y = x.to(device), y.to(device)
            out = model(x)
            k = x.shape[0]
            totals["loss"] = totals.get("loss", 0.0) + _batch_loss(loss_fn(out, y)).item() * k
            for name, fn in (metrics or {}).items():
                totals[name] = totals.get(name, 0.0) + fn(out, y) * k
            count += k
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate got no batches: the data is empty")
    return {name: total / count for name, total in totals.items()}


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The model's outputs for every row of `x`, in eval mode, without gradients, in batches on the model's device.

    The model's train/eval mode is restored afterwards. Introduced in {ref}`sec-intro-torch-optim`.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"predict expects a tensor of inputs, got {type(x).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    param = next(model.parameters(), None)
    device = param.device if param is not None else x.device
    was_training = model.training
    model.eval()
    try:
        outs = [model(x[i : i + batch_size].to(device)) for i in range(0, x.shape[0], batch_size)]
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("predict got an empty tensor of inputs")
    return torch.cat(outs)


def fit(model: nn.Module, train: Data, *, loss_fn: Callable, optimizer: torch.optim.Optimizer, epochs: int,
        val: Data | None = None, batch_size: int = 128, metrics: Mapping[str, Metric] | None = None,
        scheduler: object | None = None, scheduler_interval: str = "epoch", clip_grad: float | None = None,
        patience: int | None = None, device: torch.device | str | None = None,
        seed: int = 0, progress: bool | None = None) -> History:
    """Train `model` for up to `epochs` epochs and return its `History`.

    Each epoch logs `train_loss` (the running mean over the epoch's batches) and, with `val`,
    `val_loss` and `val_<metric>`. With `patience`, training stops once `val_loss` has not improved for
    that many epochs and the best weights are restored. `scheduler.step()` runs once per epoch, or once per
    batch with `scheduler_interval="step"`. With `clip_grad`, the gradients' global L2 norm is clipped to that value
    before each step (`torch.nn.utils.clip_grad_norm_`); `history["grad_norm"]` then records each epoch's mean norm
    before clipping. `batch_size` and `seed` apply to tensor data only: a DataLoader batches and shuffles itself.
    With `device`, the model and each batch are moved there; without it, they must already agree.
    The progress bar is shown on a terminal and stays quiet in logs (`progress=None`).
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    _check_loss_fn(loss_fn)
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
    if clip_grad is not None and not clip_grad > 0:
        raise ValueError(f"clip_grad must be a positive number, got {clip_grad!r}")
    if patience is not None and (val is None or patience < 1):
        raise ValueError("early stopping needs a validation set and patience >= 1")
    for name, data in (("train", train), ("val", val)):
        if data is not None and not isinstance(data, torch.utils.data.DataLoader):
            _check_tensors(data, name)

    if device is not None:
        model.to(device)  # batches are moved to `device` too, so model and data always agree
    generator = torch.Generator().manual_seed(seed)
    history = History()
    best_loss, best_state, stale = float("inf"), None, 0
    show = sys.stderr.isatty() if progress is None else progress
    began = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc="epochs", disable=not show, leave=False)
    model.train()
    for epoch in bar:
        total, count, norms = 0.0, 0, []
        for x, y in batches(train, batch_size, shuffle=True, generator=generator):
            if device is not None:
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            loss = _batch_loss(loss_fn(model(x), y))
            loss.backward()
            if clip_grad is not None:
                norms.append(nn.utils.clip_grad_norm_(model.parameters(), clip_grad).detach())
            optimizer.step()
            if scheduler is not None and scheduler_interval == "step":
                scheduler.step()
            total += loss.detach() * x.shape[0]  # stays on the device: no sync per batch
            count += x.shape[0]
        record = {"train_loss": (total / count).item()}
        if norms:
            record["grad_norm"] = torch.stack(norms).mean().item()
        if scheduler is not None and scheduler_interval == "epoch":
            scheduler.step()
        if val is not None:
            scores = evaluate(model, val, loss_fn, metrics=metrics, batch_size=max(batch_size, 1024), device=device)
            record.update({f"val_{name}": value for name, value in scores.items()})
        history.log(**record)
        bar.set_postfix({k: f"{v:.4g}" for k, v in record.items()})
        if patience is not None:
            if record["val_loss"] < best_loss:
                best_loss, best_state, stale = record["val_loss"], copy.deepcopy(model.state_dict()), 0
                history.best_epoch = epoch
            else:
                stale += 1
                if stale >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - began
    return history
