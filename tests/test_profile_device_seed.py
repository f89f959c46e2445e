"""mlbook.profile, mlbook.device, mlbook.seed and mlbook.start."""
import random

import numpy as np
import pytest
import torch

import mlbook
from mlbook import profile
from mlbook.device import get_device
from mlbook.seed import seed_everything


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("MLBOOK_PROFILE", "full")
    assert profile.active() == "full"
    assert profile.pick(quick=1, full=2) == 2
    monkeypatch.setenv("MLBOOK_PROFILE", " Quick ")
    assert profile.active() == "quick"
    assert profile.pick(quick="a", full="b") == "a"


def test_profile_default_follows_the_device(monkeypatch):
    monkeypatch.delenv("MLBOOK_PROFILE", raising=False)
    monkeypatch.setattr(profile, "_accelerator_present", lambda: True)
    assert profile.active() == "full"
    monkeypatch.setattr(profile, "_accelerator_present", lambda: False)
    assert profile.active() == "quick"


def test_unknown_profile_is_an_error(monkeypatch):
    monkeypatch.setenv("MLBOOK_PROFILE", "fast")
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        profile.active()


def test_pick_needs_both_values():
    with pytest.raises(TypeError):
        profile.pick(quick=1)  # type: ignore[call-arg]


def test_device(monkeypatch):
    monkeypatch.delenv("MLBOOK_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    assert get_device().type in ("cuda", "mps", "cpu")
    if expected:
        assert get_device().type == expected
    assert get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("MLBOOK_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        get_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error when CUDA is missing")
def test_missing_cuda_is_an_error_not_a_fallback():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        get_device("cuda")


def test_seed_everything_repeats_every_generator():
    def draw():
        seed_everything(7)
        return random.random(), np.random.rand(), torch.rand(1).item()

    assert draw() == draw()
    rng_a, rng_b = seed_everything(3), seed_everything(3)
    assert rng_a.random() == rng_b.random()
    with pytest.raises(ValueError, match="non-negative int"):
        seed_everything(-1)


def test_start_reports_profile_and_device(monkeypatch, capsys):
    monkeypatch.setenv("MLBOOK_PROFILE", "quick")
    monkeypatch.setenv("MLBOOK_DEVICE", "cpu")
    run = mlbook.start(seed=1)
    assert run.profile == "quick" and run.device == torch.device("cpu") and run.seed == 1
    out = capsys.readouterr().out
    assert "profile: quick · device: cpu" in out  # the status page reads this line


def test_submodules_load_on_first_use():
    import subprocess
    import sys

    code = "import mlbook; print(mlbook.train.fit.__name__, mlbook.data.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["fit", "mlbook.data"]
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mlbook.nope  # noqa: B018
