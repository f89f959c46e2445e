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
    monkeypatch.setattr(profile, "_accelerator_present", lambda: False)  # the variable, not the machine, decides
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


@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")])
def test_default_device_is_the_best_available(monkeypatch, cuda, mps, expected):
    monkeypatch.delenv("MLBOOK_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert get_device() == torch.device(expected)


def test_device_asked_for(monkeypatch):
    monkeypatch.delenv("MLBOOK_DEVICE", raising=False)
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(" CPU ") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("MLBOOK_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")  # the variable wins over the best device
    monkeypatch.setenv("MLBOOK_DEVICE", "cuda:1")
    assert get_device() == torch.device("cuda", 1)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        get_device("tpu")


def test_missing_mps_is_an_error_not_a_fallback(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="MPS is not available"):
        get_device("mps")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error when CUDA is missing")
def test_missing_cuda_is_an_error_not_a_fallback():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        get_device("cuda")


def test_seed_everything_repeats_every_generator():
    def draw():
        seed_everything(7)
        return random.random(), np.random.rand(), torch.rand(1).item()

    assert draw() == draw()
    seed_everything(8)
    assert random.random() != draw()[0]  # another seed, other numbers: the seed is really used
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
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mlbook.nope  # noqa: B018
