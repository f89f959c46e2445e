"""Helpers between a loaded data set and a model: a seeded validation split, tensors on a device,
normalisation constants from the training set only. Introduced in {ref}`sec-cnn-data`.

torch is imported inside the functions that need it, so ``import mlbook.data`` stays light.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np


def train_val_split(n: int, val_fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` at random into training and validation indices, the same way for the same seed.

    Introduced in {ref}`sec-cnn-data`. ``round(n * val_fraction)`` indices go to validation (at least one,
    and at least one stays for training). Both index arrays are sorted (int64), so ``x[train_idx]`` keeps the
    original order. For time series, split by time instead: a random split leaks the future into training.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an int, the number of examples (use len(x)); got {type(n).__name__}")
    if n < 2:
        raise ValueError(f"n must be at least 2 to leave one example on each side; got {n}")
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, numbers.Real) or not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be a number strictly between 0 and 1; got {val_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int; got {type(seed).__name__} {seed!r}")
    n_val = min(max(int(round(n * val_fraction)), 1), int(n) - 1)
    perm = np.random.default_rng(int(seed)).permutation(int(n))
    return np.sort(perm[n_val:]).astype(np.int64), np.sort(perm[:n_val]).astype(np.int64)


def to_tensors(*arrays: Any, device: Any = None, dtype: Any = None) -> tuple:
    """Convert arrays (NumPy, pandas, lists or tensors) to torch tensors on ``device``, all in one go.

    Introduced in {ref}`sec-cnn-data`. ``device=None`` means :func:`mlbook.device.get_device` (the GPU when
    there is one): a small data set lives on the device whole. ``dtype`` is one torch dtype for every array,
    or a sequence with one entry per array (``None`` keeps that array's dtype), e.g.
    ``to_tensors(x, y, dtype=(torch.float32, None))`` for float images and int64 labels.
    Always returns a tuple, even for one array: ``(x,) = to_tensors(x)``.
    """
    import torch

    from ..device import get_device

    if not arrays:
        raise ValueError("to_tensors needs at least one array")
    if dtype is None or isinstance(dtype, torch.dtype):
        dtypes: Sequence[Any] = [dtype] * len(arrays)
    elif isinstance(dtype, Sequence) and not isinstance(dtype, str):
        dtypes = list(dtype)
        if len(dtypes) != len(arrays):
            raise ValueError(f"dtype has {len(dtypes)} entries for {len(arrays)} arrays; give one per array")
        bad = [d for d in dtypes if d is not None and not isinstance(d, torch.dtype)]
        if bad:
            raise TypeError(f"dtype entries must be torch dtypes or None; got {bad!r}")
    else:
        raise TypeError(f"dtype must be a torch dtype, a sequence of them, or None; got {dtype!r}")
    device = get_device() if device is None else torch.device(device)

    out = []
    for i, (a, dt) in enumerate(zip(arrays, dtypes)):
        if isinstance(a, torch.Tensor):
            t = a
        else:
            if hasattr(a, "to_numpy"):  # pandas DataFrame / Series
                a = a.to_numpy()
            a = np.asarray(a)
            if a.dtype == object or a.dtype.kind in "USM":
                raise TypeError(f"array {i} has dtype {a.dtype}, which has no tensor equivalent; "
                                f"encode it as numbers first")
            if not a.flags.writeable or not a.flags.c_contiguous:
                a = np.ascontiguousarray(a).copy()
            t = torch.from_numpy(a)
        out.append(t.to(device=device, dtype=dt if dt is not None else t.dtype))
    return tuple(out)


def normalization(x_train: Any, axis: int | tuple[int, ...] | None | str = "auto") -> tuple[Any, Any]:
    """Mean and standard deviation of the training set, to standardise with ``(x - mean) / std``.

    Introduced in {ref}`sec-cnn-data`. Compute them on the training split only and apply them to validation
    and test data unchanged: the model must not see the test set, not even through its mean.

    ``axis="auto"``: one value per column for a table (N, D) or a vector (N,); one value over all values for
    images, i.e. any array of 3 or more dimensions such as (N, 28, 28). Give ``axis`` for anything else, e.g.
    ``axis=(0, 2, 3)`` for per-channel statistics of (N, C, H, W) images; ``None`` reduces over everything.
    A reduction over every axis gives scalars (0-d: ``float(mean)`` works); otherwise the reduced dimensions are
    kept, e.g. (1, D) for a table, so the results broadcast against ``x``. A NumPy input gives float64 NumPy
    results; a torch tensor gives tensors on its device (float32 unless it is float64). A feature that never
    varies gets std 1 (not 0), so standardising it gives 0, not NaN.
    """
    is_tensor = type(x_train).__module__.split(".")[0] == "torch"
    if not is_tensor:
        if hasattr(x_train, "to_numpy"):
            x_train = x_train.to_numpy()
        x_train = np.asarray(x_train)
        if x_train.dtype.kind not in "biuf":
            raise TypeError(f"normalization needs numbers; got an array of dtype {x_train.dtype}")
    ndim = x_train.ndim
    if ndim == 0 or x_train.shape[0] < 1:
        raise ValueError(f"normalization needs at least one example; got shape {tuple(x_train.shape)}")
    if axis == "auto":
        axis = 0 if ndim <= 2 else tuple(range(ndim))
    elif isinstance(axis, str):
        raise ValueError(f"axis must be 'auto', an int, a tuple of ints or None; got {axis!r}")
    if axis is None:
        axis = tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    # Reducing over every axis gives 0-d results (float(mean) works); otherwise keep dims to broadcast.
    keep = not (isinstance(axis, tuple) and sorted(a % ndim for a in axis) == list(range(ndim)))

    if is_tensor:
        import torch

        dt = torch.float64 if x_train.dtype == torch.float64 else torch.float32
        x = x_train.to(torch.float64)
        mean = x.mean(dim=axis, keepdim=keep)
        std = x.std(dim=axis, keepdim=keep, unbiased=False)
        std = torch.where(std > 0, std, torch.ones_like(std))
        if x.isnan().any():
            raise ValueError("normalization: x_train contains NaN; impute or drop missing values first")
        return mean.to(dt), std.to(dt)

    x = x_train.astype(np.float64, copy=False)
    if np.isnan(x).any():
        raise ValueError("normalization: x_train contains NaN; impute or drop missing values first")
    mean = x.mean(axis=axis, keepdims=keep)
    std = x.std(axis=axis, keepdims=keep)
    std = np.where(std > 0, std, 1.0)[()]  # [()] keeps a 0-d result a numpy scalar
    return mean, std
