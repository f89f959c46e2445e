"""The shared-model cache: trains when absent, reuses a verified copy, never uses a corrupt one."""
import warnings

import pytest
import torch

import mlbook.models as models

TINY = models.Recipe("mnist", width=4, hidden=32, epochs=1, n_train=2048, shift=0, flip=False, lr=1e-2)


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """A tiny entry in the catalogue (seconds to train) and an empty user cache."""
    monkeypatch.setenv("MLBOOK_CACHE", str(tmp_path))
    monkeypatch.setenv("MLBOOK_PROFILE", "quick")
    monkeypatch.setitem(models.CATALOG, "tiny_cnn", {"quick": TINY, "full": TINY})
    return tmp_path


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_trains_once_then_loads_the_same_weights(tiny):
    first = models.trained("tiny_cnn", device="cpu")
    assert not first.from_cache
    assert list(tiny.rglob("tiny_cnn-quick-seed0-*.pt")), "the trained model was not stored"
    second = models.trained("tiny_cnn", device="cpu")
    assert second.from_cache
    assert torch.equal(_weights(first.model), _weights(second.model))
    assert second.test_accuracy == first.test_accuracy > 0.3  # 16 steps on 2,048 digits beat chance (0.1)
    assert not second.model.training
    assert second.history["val_accuracy"] == first.history["val_accuracy"]


def test_training_is_deterministic_and_seed_gives_another_model(tiny):
    a = models.trained("tiny_cnn", device="cpu")
    for path in tiny.rglob("*.pt"):
        path.unlink()
    b = models.trained("tiny_cnn", device="cpu")
    assert not b.from_cache and torch.equal(_weights(a.model), _weights(b.model))
    c = models.trained("tiny_cnn", seed=1, device="cpu")
    assert not torch.equal(_weights(a.model), _weights(c.model))


def test_corrupt_cached_file_is_retrained_not_used(tiny):
    first = models.trained("tiny_cnn", device="cpu")
    (path,) = tiny.rglob("tiny_cnn-*.pt")
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.warns(UserWarning, match="checksum"):
        again = models.trained("tiny_cnn", device="cpu")
    assert not again.from_cache
    assert torch.equal(_weights(first.model), _weights(again.model))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the retrained copy verifies: no warning the third time
        assert models.trained("tiny_cnn", device="cpu").from_cache


def test_key_changes_with_code_profile_seed_and_recipe(tiny, monkeypatch):
    key = models.cache_key("tiny_cnn", 0, "quick")
    assert key == models.cache_key("tiny_cnn", 0, "quick")
    assert key != models.cache_key("tiny_cnn", 1, "quick")
    assert models.cache_key("fashion_cnn", 0, "quick") != models.cache_key("fashion_cnn", 0, "full")
    real = models.inspect.getsource
    monkeypatch.setattr(models.inspect, "getsource", lambda obj: real(obj) + "\n# a changed line of training code")
    assert models.cache_key("tiny_cnn", 0, "quick") != key


def test_bad_names_are_clear_errors(tiny):
    with pytest.raises(ValueError, match="no shared model 'resnet'"):
        models.trained("resnet")
    with pytest.raises(ValueError, match="seed"):
        models.trained("tiny_cnn", seed=-1)
    with pytest.raises(ValueError, match="image_splits knows"):
        models.image_splits("cifar10")


def test_inputs_are_pixels_and_standardisation_is_inside(tiny):
    splits = models.image_splits("mnist", "cpu")
    x, y = splits.test
    assert x.shape[1:] == (1, 28, 28) and x.min() >= 0 and x.max() <= 1 and y.dtype == torch.int64
    net = models.trained("tiny_cnn", device="cpu").model
    assert isinstance(net[0], models.Standardize)
    assert net[0].mean.item() == pytest.approx(splits.mean) and net[0].std.item() == pytest.approx(splits.std)


def test_callers_random_streams_do_not_depend_on_the_cache(tiny):
    import random

    import numpy as np

    def draws():
        return random.random(), np.random.rand(), torch.rand(1).item()

    for _ in range(2):  # first call trains, second loads: the caller sees the same streams both times
        torch.manual_seed(7), np.random.seed(7), random.seed(7)
        result = models.trained("tiny_cnn", device="cpu")
        assert draws() == (random.seed(7), np.random.seed(7), torch.manual_seed(7), draws())[-1]
        assert all(p.grad is None for p in result.model.parameters())
