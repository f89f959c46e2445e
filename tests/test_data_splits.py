"""train_val_split, to_tensors, normalization: behaviour and input validation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mlbook.data import normalization, to_tensors, train_val_split


def test_split_is_a_seeded_partition():
    tr, va = train_val_split(1000, val_fraction=0.2, seed=3)
    assert len(va) == 200 and len(tr) == 800
    assert tr.dtype == np.int64 and va.dtype == np.int64
    assert np.array_equal(np.sort(np.concatenate([tr, va])), np.arange(1000))
    assert np.all(np.diff(tr) > 0) and np.all(np.diff(va) > 0)  # sorted
    tr2, va2 = train_val_split(1000, val_fraction=0.2, seed=3)
    assert np.array_equal(tr, tr2) and np.array_equal(va, va2)
    _, va3 = train_val_split(1000, val_fraction=0.2, seed=4)
    assert not np.array_equal(va, va3)
    assert len(train_val_split(60000)[1]) == 6000  # default 10 %


def test_split_keeps_one_on_each_side():
    tr, va = train_val_split(2, val_fraction=0.01)
    assert len(tr) == 1 and len(va) == 1
    tr, va = train_val_split(10, val_fraction=0.99)
    assert len(tr) == 1 and len(va) == 9


@pytest.mark.parametrize("kwargs,error,match", [
    ({"n": 100, "val_fraction": 0}, ValueError, "strictly between 0 and 1"),
    ({"n": 100, "val_fraction": 1.0}, ValueError, "strictly between 0 and 1"),
    ({"n": 100, "val_fraction": -0.1}, ValueError, "strictly between 0 and 1"),
    ({"n": 100, "val_fraction": "10%"}, ValueError, "strictly between 0 and 1"),
    ({"n": 1}, ValueError, "at least 2"),
    ({"n": np.zeros(5)}, TypeError, "use len"),
    ({"n": 10.0}, TypeError, "must be an int"),
    ({"n": 10, "seed": 1.5}, TypeError, "seed must be an int"),
])
def test_split_validates(kwargs, error, match):
    with pytest.raises(error, match=match):
        train_val_split(**kwargs)


def test_to_tensors_dtypes_and_device():
    x = np.arange(12, dtype=np.uint8).reshape(3, 4)
    y = np.array([0, 1, 2])
    tx, ty = to_tensors(x, y, device="cpu", dtype=(torch.float32, None))
    assert tx.dtype == torch.float32 and ty.dtype == torch.int64 and tx.device.type == "cpu"
    assert torch.equal(tx, torch.arange(12, dtype=torch.float32).reshape(3, 4))
    (t,) = to_tensors(pd.DataFrame({"a": [1.0, 2.0]}), device="cpu", dtype=torch.float32)
    assert t.shape == (2, 1)
    ro = np.ones(3)
    ro.flags.writeable = False
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("error")  # no "non-writable array" warning
        (t,) = to_tensors(ro, device="cpu")
    assert t.dtype == torch.float64
    (t,) = to_tensors(torch.ones(2), device=None)  # default device: mlbook.device.get_device()
    from mlbook.device import get_device

    assert t.device.type == get_device().type


def test_to_tensors_validates():
    with pytest.raises(ValueError, match="at least one array"):
        to_tensors()
    with pytest.raises(ValueError, match="one per array"):
        to_tensors(np.ones(2), np.ones(2), dtype=[torch.float32])
    with pytest.raises(TypeError, match="torch dtype"):
        to_tensors(np.ones(2), dtype="float32")
    with pytest.raises(TypeError, match="no tensor equivalent"):
        to_tensors(np.array(["a", "b"]))


def test_normalization_table_and_images():
    rng = np.random.default_rng(0)
    x = rng.normal([1.0, -5.0, 3.0], [2.0, 0.5, 1.0], size=(5000, 3))
    x[:, 2] = 3.0  # a constant column
    mean, std = normalization(x)
    assert mean.shape == (1, 3) and std.shape == (1, 3)
    np.testing.assert_allclose(mean[0, :2], [1.0, -5.0], atol=0.1)
    assert std[0, 2] == 1.0  # constant feature: std 1, not 0
    z = (x - mean) / std
    np.testing.assert_allclose(z[:, :2].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(z[:, :2].std(0), 1, atol=1e-12)

    imgs = rng.integers(0, 256, size=(100, 28, 28), dtype=np.uint8)
    m, s = normalization(imgs)
    assert m.shape == () and float(m) == pytest.approx(imgs.mean())
    assert float(s) == pytest.approx(imgs.astype(float).std())
    m, s = normalization(imgs[:, None], axis=(0, 2, 3))  # per channel of (N, C, H, W)
    assert m.shape == (1, 1, 1, 1) and s.shape == (1, 1, 1, 1)
    m, s = normalization(imgs[:, None], axis=None)
    assert m.shape == () and float(s) > 0


def test_normalization_vector_gives_scalars():
    m, s = normalization(np.array([1.0, 2.0, 3.0, 4.0]))
    assert np.ndim(m) == 0 and float(m) == 2.5 and float(s) == pytest.approx(np.sqrt(1.25))


def test_normalization_tensor():
    x = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    m, s = normalization(x)
    assert isinstance(m, torch.Tensor) and m.dtype == torch.float32
    assert torch.allclose(m, torch.tensor([[2.0, 4.0]])) and torch.allclose(s, torch.tensor([[1.0, 2.0]]))
    m, _ = normalization(torch.arange(10, dtype=torch.uint8).reshape(10, 1, 1))
    assert m.dtype == torch.float32 and float(m) == pytest.approx(4.5)


def test_normalization_validates():
    with pytest.raises(ValueError, match="NaN"):
        normalization(np.array([[1.0], [np.nan]]))
    with pytest.raises(TypeError, match="needs numbers"):
        normalization(np.array(["a"]))
    with pytest.raises(ValueError, match="at least one example"):
        normalization(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="axis must be"):
        normalization(np.zeros((2, 3)), axis="rows")
