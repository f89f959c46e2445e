"""Trained models that several chapters share, from one verified cache. Introduced in {ref}`sec-cnn-torch-cnn`.

Chapter 3 trains a small CNN on Fashion-MNIST and on MNIST; explainability, attacks, compression and anomaly
detection reuse those networks instead of training their own. `trained(name)` returns the model named `name`:

- from the user cache when a copy there was trained by exactly this code (the cache key hashes this module's
  source, the data file's SHA-256, the name, the profile and the seed) and its checksum verifies;
- otherwise it trains the model here, deterministically, and stores it atomically for the next chapter.

So CI trains each model once, and a chapter opened alone on Colab still works: it trains what it needs.
Every network takes images scaled to [0, 1] with shape (N, 1, 28, 28): standardisation is its first layer, so
attacks and explanations work in pixel units.
"""
from __future__ import annotations

import hashlib
import inspect
import io
import os
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import profile
from .seed import seed_everything

__all__ = ["CATALOG", "Augment", "ImageSplits", "Standardize", "Trained", "cache_key", "image_splits", "make_cnn",
           "trained"]


# ---------------------------------------------------------------------------------------------------------------
# The network and its training-time augmentation (chapter 3 explains both).


class Standardize(nn.Module):
    """Subtract a mean and divide by a standard deviation: the network's first layer, so inputs stay in [0, 1]."""

    def __init__(self, mean: float, std: float):
        super().__init__()
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class Augment(nn.Module):
    """Random shifts of up to `shift` pixels (border filled with `fill`) and random left-right flips.

    Acts only in training mode; in eval mode it returns its input unchanged. Works on a whole batch on its device.
    """

    def __init__(self, shift: int = 2, flip: bool = True, fill: float = 0.0):
        super().__init__()
        self.shift, self.flip, self.fill = shift, flip, fill

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        n, _, h, w = x.shape
        if self.shift:
            s = self.shift
            padded = F.pad(x, (s, s, s, s), value=self.fill)
            dy = torch.randint(0, 2 * s + 1, (n, 1, 1), device=x.device)  # where each crop starts
            dx = torch.randint(0, 2 * s + 1, (n, 1, 1), device=x.device)
            rows = dy + torch.arange(h, device=x.device).view(1, h, 1)  # (n, h, 1)
            cols = dx + torch.arange(w, device=x.device).view(1, 1, w)  # (n, 1, w)
            batch = torch.arange(n, device=x.device).view(n, 1, 1)
            # index (n, H+2s, W+2s, C) by (batch, row, col) -> (n, h, w, C), then back to (n, C, h, w)
            x = padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()
        if self.flip:
            mirror = torch.rand(n, 1, 1, 1, device=x.device) < 0.5
            x = torch.where(mirror, x.flip(-1), x)
        return x


def make_cnn(width: int = 16, hidden: int = 128, dropout: float = 0.25, in_channels: int = 1,
             classes: int = 10) -> nn.Sequential:
    """conv5×5(width)-pool-BN-ReLU, conv3×3(2·width)-pool-BN-ReLU, dropout-fc(hidden)-ReLU-dropout-fc(classes).

    Expects standardised 28 × 28 inputs. Introduced in chapter 3, section sec-cnn-torch-cnn (printed there).
    """
    if width < 1 or hidden < 1 or classes < 2:
        raise ValueError(f"make_cnn needs width, hidden >= 1 and classes >= 2; got {width}, {hidden}, {classes}")
    c1, c2 = width, 2 * width
    return nn.Sequential(
        nn.Conv2d(in_channels, c1, 5, padding=2), nn.MaxPool2d(2), nn.BatchNorm2d(c1), nn.ReLU(),  # 28 -> 14
        nn.Conv2d(c1, c2, 3, padding=1), nn.MaxPool2d(2), nn.BatchNorm2d(c2), nn.ReLU(),  # 14 -> 7
        nn.Flatten(), nn.Dropout(dropout),
        nn.Linear(c2 * 7 * 7, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, classes),
    )


# ---------------------------------------------------------------------------------------------------------------
# The data every shared model is trained and scored on: the official test set, a seeded tenth of the training
# set for validation, pixels in [0, 1].


@dataclass(frozen=True)
class ImageSplits:
    """Train/validation/test tensors of an image data set, pixels in [0, 1], shape (N, 1, 28, 28)."""

    name: str
    classes: tuple[str, ...]
    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    mean: float  # of the training pixels: what the network's Standardize layer subtracts
    std: float


def image_splits(dataset: str, device: torch.device | str | None = None) -> ImageSplits:
    """`fashion_mnist` or `mnist` as the shared models see it (same split in every chapter).

    Introduced in {ref}`sec-cnn-data`.
    """
    from . import data

    loaders = {"fashion_mnist": data.load_fashion_mnist, "mnist": data.load_mnist}
    if dataset not in loaders:
        raise ValueError(f"image_splits knows {sorted(loaders)}, not {dataset!r}")
    images = loaders[dataset]()
    train_idx, val_idx = data.train_val_split(len(images.y_train), val_fraction=0.1, seed=0)

    def tensors(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        xt = torch.from_numpy(x.astype(np.float32) / 255)[:, None]
        return xt.to(device), torch.from_numpy(y.astype(np.int64)).to(device)

    train = tensors(images.x_train[train_idx], images.y_train[train_idx])
    mean, std = train[0].mean().item(), train[0].std().item()
    return ImageSplits(dataset, tuple(images.classes), train, tensors(images.x_train[val_idx],
                       images.y_train[val_idx]), tensors(images.x_test, images.y_test), mean, std)


# ---------------------------------------------------------------------------------------------------------------
# The catalogue: what each shared model is, and how it is trained, per profile.


@dataclass(frozen=True)
class Recipe:
    dataset: str
    width: int
    hidden: int
    epochs: int
    n_train: int | None  # training images used (None: all)
    shift: int  # augmentation: random shifts of up to this many pixels
    flip: bool
    lr: float = 2e-3
    batch_size: int = 128


CATALOG: dict[str, dict[str, Recipe]] = {
    # The chapter-3 headline CNN. quick: a CPU minute; full: what the H200 run verified (93.8% test accuracy).
    "fashion_cnn": {"quick": Recipe("fashion_mnist", 16, 128, 3, None, 0, False),
                    "full": Recipe("fashion_mnist", 64, 256, 30, None, 2, True)},
    "mnist_cnn": {"quick": Recipe("mnist", 16, 128, 2, 12_000, 0, False),
                  "full": Recipe("mnist", 64, 256, 15, None, 2, False)},
}


@dataclass
class Trained:
    """A shared model with what chapters cite about it."""

    name: str
    model: nn.Sequential  # Standardize -> Augment -> CNN, in eval mode, on the requested device
    recipe: Recipe
    history: dict[str, list[float]]  # per-epoch train_loss, val_loss, val_accuracy
    test_accuracy: float  # fraction of the official test set
    from_cache: bool

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def cache_key(name: str, seed: int = 0, profile_name: str | None = None) -> str:
    """SHA-256 over what defines the trained weights: this module's code, the data file, name, profile, seed."""
    from .data import registry

    profile_name = profile_name or profile.active()
    recipe = _recipe(name, profile_name)
    data_sha = registry.entry(registry.get(recipe.dataset).files[0])["sha256"]
    source = inspect.getsource(sys.modules[__name__])
    text = "\n".join([source, data_sha, name, profile_name, str(seed), repr(recipe)])
    return hashlib.sha256(text.encode()).hexdigest()


def _recipe(name: str, profile_name: str) -> Recipe:
    if name not in CATALOG:
        raise ValueError(f"no shared model {name!r}; the catalogue has {sorted(CATALOG)}")
    if profile_name not in CATALOG[name]:
        raise ValueError(f"profile must be one of {sorted(CATALOG[name])}, got {profile_name!r}")
    return CATALOG[name][profile_name]


def _cache_dir() -> Path:
    from .data.files import cache_dir

    return cache_dir() / "models"


def _build(recipe: Recipe, splits: ImageSplits) -> nn.Sequential:
    # Augment sees standardised pixels, so a shifted-in border gets the standardised value of a black pixel.
    return nn.Sequential(Standardize(splits.mean, splits.std),
                         Augment(shift=recipe.shift, flip=recipe.flip, fill=-splits.mean / splits.std),
                         make_cnn(recipe.width, recipe.hidden))


def _train(recipe: Recipe, splits: ImageSplits, seed: int, device: torch.device) -> tuple[nn.Sequential, dict]:
    from .train import accuracy, fit

    seed_everything(seed)
    model = _build(recipe, splits).to(device)
    x, y = splits.train
    if recipe.n_train is not None:
        x, y = x[: recipe.n_train], y[: recipe.n_train]
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs)
    history = fit(model, (x, y), loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer, epochs=recipe.epochs,
                  val=splits.val, batch_size=recipe.batch_size, metrics={"accuracy": accuracy},
                  scheduler=scheduler, seed=seed)
    return model, dict(history.records)


def _load_verified(path: Path) -> dict | None:
    """The cached payload if its bytes match the recorded SHA-256 and it unpickles; None (and a warning) if not."""
    digest_path = path.with_suffix(".sha256")
    if not path.exists() or not digest_path.exists():
        return None
    blob = path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != digest_path.read_text().strip():
        warnings.warn(f"cached model {path} does not match its checksum: retraining it", stacklevel=3)
        return None
    try:
        return torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except Exception as error:  # a file that verifies but cannot be read is still never used
        warnings.warn(f"cached model {path} cannot be read ({error}): retraining it", stacklevel=3)
        return None


def _store(path: Path, payload: dict) -> None:
    """Write the weights and their checksum atomically: a reader never sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    blob = buffer.getvalue()
    for target, content in ((path, blob), (path.with_suffix(".sha256"), hashlib.sha256(blob).hexdigest().encode())):
        part = target.with_name(f"{target.name}.{os.getpid()}.part")
        part.write_bytes(content)
        os.replace(part, target)


@contextmanager
def _caller_random_state_kept():
    """Restore Python's, NumPy's and torch's (CPU and CUDA) global random states on exit."""
    import random

    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=range(torch.cuda.device_count()) if torch.cuda.is_available() else []):
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


def trained(name: str, *, seed: int = 0, device: torch.device | str | None = None) -> Trained:
    """The shared model `name` (`fashion_cnn`, `mnist_cnn`) trained with `seed` in the active profile.

    Loaded from the verified cache when this exact code trained it before; trained here (and cached) otherwise.
    Introduced in {ref}`sec-cnn-torch-cnn`.
    """
    from .device import get_device
    from .train import evaluate, accuracy

    profile_name = profile.active()
    recipe = _recipe(name, profile_name)
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    device = get_device(device) if device is None or isinstance(device, str) else device
    key = cache_key(name, seed, profile_name)
    path = _cache_dir() / f"{name}-{profile_name}-seed{seed}-{key[:16]}.pt"
    splits = image_splits(recipe.dataset, device)

    payload = _load_verified(path)
    from_cache = payload is not None
    # Training reseeds and building draws initial weights: keep the caller's random streams untouched either way,
    # so a chapter's later numbers do not depend on whether the model came from the cache.
    with _caller_random_state_kept():
        if from_cache:
            model = _build(recipe, splits)
            model.load_state_dict(payload["state_dict"])
            history = payload["history"]
        else:
            print(f"training shared model {name!r} (profile {profile_name}, seed {seed}); later chapters reuse it")
            model, history = _train(recipe, splits, seed, device)
            state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
            _store(path, {"state_dict": state, "history": history, "key": key})
    model.zero_grad(set_to_none=True)
    model = model.to(device).eval()
    test_acc = evaluate(model, splits.test, nn.CrossEntropyLoss(), metrics={"accuracy": accuracy})["accuracy"]
    return Trained(name, model, recipe, history, test_acc, from_cache)
