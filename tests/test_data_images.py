"""The image sets of issue 11: `characters` (rendered Traditional characters) and `mnist_m` (built at load time).

The checksum, corrupt-copy and fetch tests of their files run with every other data file in test_data_files.py
and test_data_fetch.py; here: shapes, splits, known values, and that MNIST-M is built to the same bytes everywhere.
"""
from __future__ import annotations

import numpy as np
import pytest

import mlbook.data as data
from mlbook.data import images

FONTS = ["Noto Sans CJK TC", "Noto Serif CJK TC", "AR PL UKai TW", "AR PL UMing TW", "TW-Kai", "TW-Sung",
         "cwTeX Ming", "cwTeX HeiBold", "cwTeX FangSong", "cwTeX Yen", "WenQuanYi Zen Hei", "Droid Sans Fallback",
         "LXGW WenKai", "HanaMinA"]


# No test here may fetch: an empty cache and a data URL nothing listens on (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("offline_data")


# ------------------------------------------------------------------------------------------------ characters
def test_characters_shapes_and_splits():
    s = data.load_characters()
    assert isinstance(s, data.CharacterSet) and s.name == "characters"
    assert s.fonts == FONTS
    for part, n in [("train", 700), ("validation", 100), ("test", 200)]:
        x, classes = getattr(s, f"x_{part}"), getattr(s, f"classes_{part}")
        assert x.shape == (n, 14, 28, 28) and x.dtype == np.uint8, (part, x.shape, x.dtype)
        assert len(classes) == n and len(set(classes)) == n and all(len(c) == 1 for c in classes), part
    train, val, test = (set(s.classes_train), set(s.classes_validation), set(s.classes_test))
    assert not (train & val or train & test or val & test), "a character in two parts"
    everything = train | val | test
    assert len(everything) == 1000
    assert all("\u4e00" <= c <= "\u9fff" for c in everything)
    for c in everything:
        c.encode("big5")  # Taiwan's traditional character set: raises if a character is not in it
    # Frequency order within each part (jieba's counts via OpenCC s2tw); a few known members.
    assert "".join(s.classes_test[:12]) == "人不有大中這上他時的出於"
    assert "".join(s.classes_train[:5]) == "一了在國和" and "".join(s.classes_validation[:5]) == "是年以生民"
    assert {"國", "為", "這", "個", "來", "會", "學", "說"} <= everything  # Traditional forms, not 国为这个来会学说
    assert not {"国", "为", "这", "个", "来", "会", "学", "说"} & everything
    assert "熟" in everything and "CharacterSet('characters': 700 train" in repr(s)


def test_characters_images_have_ink_and_differ_by_font():
    s = data.load_characters()
    x = np.concatenate([s.x_train, s.x_validation, s.x_test])
    flat = x.reshape(1000, 14, -1)
    assert flat.max(axis=-1).min() >= 128, "an image without ink (a missing glyph?)"
    assert flat.min(axis=-1).max() == 0, "an image without background"
    ink = (flat >= 128).mean(axis=-1)
    assert 0.0 < ink.min() and ink.max() < 0.6 and 0.05 < ink.mean() < 0.3, (ink.min(), ink.max(), ink.mean())
    # The 14 renderings of one character are 14 different images (distinct designs, own jitter).
    for c in range(0, 1000, 37):
        assert len({img.tobytes() for img in x[c]}) == 14, c
    # The same character in another font is found by plain pixel distance far more often than chance (1 in 200),
    # despite the jitter: nearest Noto Serif rendering of each Noto Sans one, over 200 meta-train characters
    # (measured: 8 %).
    a = x[:200, 0].reshape(200, -1).astype(np.float32)
    b = x[:200, 1].reshape(200, -1).astype(np.float32)
    d = (a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None, :]
    assert (d.argmin(axis=1) == np.arange(200)).mean() > 0.05


def test_characters_load_returns_copies():
    s = data.load("characters")
    s.x_train[:] = 0
    assert data.load_characters().x_train.max() == 255


# ---------------------------------------------------------------------------------------------------- mnist_m
def test_splitmix64_reference_values():
    # SplitMix64 seeded with 0 yields e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f (Steele et al. 2014);
    # _splitmix64(x) is the output for state x, and the state advances by the golden gamma.
    gamma = 0x9E3779B97F4A7C15
    states = np.array([0, gamma, (2 * gamma) % 2**64], dtype=np.uint64)
    assert [int(v) for v in images._splitmix64(states)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4,
                                                            0x06C45D188009454F]


def test_background_choice_is_spread_and_fixed():
    idx, orient = images.background_choice(60000, 1000, images.STREAMS["train"])
    assert idx.min() == 0 and idx.max() == 999 and len(np.unique(idx)) == 1000
    counts = np.bincount(orient, minlength=8)
    assert len(counts) == 8 and counts.min() > 7000, counts
    idx2, _ = images.background_choice(60000, 1000, images.STREAMS["test"])
    assert (idx == idx2).mean() < 0.01  # the two parts draw independently
    again, _ = images.background_choice(60000, 1000, images.STREAMS["train"])
    assert np.array_equal(idx, again)
    with pytest.raises(ValueError, match="n_backgrounds > 0"):
        images.background_choice(10, 0, 0)


def test_mnist_m_is_the_same_bytes_everywhere():
    """The built set's SHA-256 is the recorded one: integer operations only, no version-dependent randomness."""
    s = data.load_mnist_m()
    assert images.digest(s.x_train, s.y_train, s.x_test, s.y_test) == images.MNIST_M_SHA256


def test_mnist_m_shapes_labels_and_blend():
    s, m = data.load("mnist_m"), data.load_mnist()
    assert isinstance(s, data.ImageSet) and s.name == "mnist_m" and s.classes == m.classes
    assert s.x_train.shape == (60000, 28, 28, 3) and s.x_test.shape == (10000, 28, 28, 3)
    assert s.x_train.dtype == np.uint8 and s.x_test.dtype == np.uint8
    assert np.array_equal(s.y_train, m.y_train) and np.array_equal(s.y_test, m.y_test)
    # An independent reference for some images: the chosen crop, oriented, then |crop - digit| in int16.
    _, bg = data.sets._npz_members("mnist_m_backgrounds.npz")
    for part, x, digits in [("train", s.x_train, m.x_train), ("test", s.x_test, m.x_test)]:
        crops = bg[f"bg_{part}"]
        idx, orient = images.background_choice(len(digits), len(crops), images.STREAMS[part])
        for i in [0, 1, 2, 3, 4, 5, 6, 7, 999, len(digits) - 1]:
            crop = crops[idx[i]]
            if orient[i] >= 4:
                crop = crop[:, ::-1]
            crop = np.rot90(crop, orient[i] % 4)
            want = np.abs(crop.astype(np.int16) - digits[i].astype(np.int16)[:, :, None]).astype(np.uint8)
            assert np.array_equal(x[i], want), (part, i)
    # The shipped crops: all distinct, none used by both parts.
    assert len(np.unique(bg["bg_train"].reshape(1000, -1), axis=0)) == 1000
    assert not ({c.tobytes() for c in bg["bg_train"]} & {c.tobytes() for c in bg["bg_test"]}), "a crop in both"
    # Colour: the three channels differ (not a grey image copied three times).
    assert (s.x_test[..., 0] != s.x_test[..., 1]).mean() > 0.5


def test_mnist_m_load_returns_copies():
    s = data.load_mnist_m()
    s.x_test[:] = 0
    assert data.load_mnist_m().x_test.max() > 0


def test_build_mnist_m_checks_its_inputs():
    digits = np.zeros((4, 28, 28), np.uint8)
    with pytest.raises(ValueError, match=r"backgrounds must be uint8 \(K, 28, 28, 3\)"):
        images.build_mnist_m(digits, np.zeros((5, 28, 28), np.uint8), 0)
    with pytest.raises(ValueError, match="digits must be uint8"):
        images.build_mnist_m(digits.astype(np.float32), np.zeros((5, 28, 28, 3), np.uint8), 0)
    out = images.build_mnist_m(np.full((4, 28, 28), 255, np.uint8), np.full((5, 28, 28, 3), 55, np.uint8), 0)
    assert out.shape == (4, 28, 28, 3) and (out == 200).all()
