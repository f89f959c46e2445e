"""The image sets of the later chapters: rendered characters (few-shot) and digits on colour patches (MNIST-M).

Introduced in {ref}`sec-meta-learning-data` (``characters``) and {ref}`sec-transfer-learning-data` (``mnist_m``).

``characters.npz`` holds the rendered images themselves. ``mnist_m`` is not shipped as 70,000 colour images: the
file ``mnist_m_backgrounds.npz`` holds 1,250 colour crops of photographs (every crop and resize was done once, by
``data/prepare.py``), and :func:`build_mnist_m` blends each MNIST digit onto one of them when the set is loaded.
The choice of crop and of its orientation comes from an integer hash of the image's index (SplitMix64 on uint64,
no floating point and no NumPy random generator, whose streams may change between NumPy versions), so every
reader gets the same bytes: ``MNIST_M_SHA256`` records them and a test checks it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

MNIST_M_SEED = 2015  # the year of Ganin & Lempitsky's paper; part of the definition of the built set
STREAMS = {"train": 0, "test": 1}
_CHUNK = 2048  # images blended at a time

# SHA-256 of the built set: x_train, y_train, x_test, y_test (C order, as returned), fed in that order.
MNIST_M_SHA256 = "0acefad0ee4075d5b3601017cb0b011f01d4de8bad83d789b703ba320ebe8c73"


@dataclass(frozen=True, repr=False, eq=False)
class CharacterSet:
    """Rendered Traditional Chinese characters for few-shot learning, split by class (character).

    Introduced in {ref}`sec-meta-learning-data`. ``x_train[c, k]`` is rendering ``k`` of character
    ``classes_train[c]``: uint8 (28, 28), 0 = background, 255 = ink, drawn in font design ``fonts[k]`` with a
    random affine jitter of its own. The three parts share no character (meta-train, meta-validation and
    meta-test classes); within each part the characters are in order of frequency.
    """

    name: str
    x_train: np.ndarray  # (700, 14, 28, 28) uint8
    x_validation: np.ndarray  # (100, 14, 28, 28) uint8
    x_test: np.ndarray  # (200, 14, 28, 28) uint8
    classes_train: list[str]
    classes_validation: list[str]
    classes_test: list[str]
    fonts: list[str]

    def __repr__(self) -> str:
        return (f"CharacterSet({self.name!r}: {len(self.classes_train)} train, {len(self.classes_validation)} "
                f"validation, {len(self.classes_test)} test characters x {len(self.fonts)} renderings "
                f"{self.x_train.shape[2]}x{self.x_train.shape[3]} {self.x_train.dtype})")


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 (Steele, Lea & Flood 2014) of each uint64 in ``x``: wrapping integer arithmetic only."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def background_choice(n: int, n_backgrounds: int, stream: int,
                      seed: int = MNIST_M_SEED) -> tuple[np.ndarray, np.ndarray]:
    """For images ``0..n-1`` of one part (``stream``): the index of its background crop and its orientation 0-7.

    Introduced in {ref}`sec-transfer-learning-data`. Orientation ``o``: flip left-right if ``o >= 4``, then
    rotate by ``o % 4`` quarter turns. Integer hashing only, so the choice is the same on every platform.
    """
    if not (0 < n < 2**24 and 0 < n_backgrounds and 0 <= stream < 256 and 0 <= seed < 2**31):
        raise ValueError(f"expected 0 < n < 2**24, n_backgrounds > 0, 0 <= stream < 256, 0 <= seed < 2**31; "
                         f"got n={n}, n_backgrounds={n_backgrounds}, stream={stream}, seed={seed}")
    base = np.uint64((seed << 32) | (stream << 24))
    h = _splitmix64(np.arange(n, dtype=np.uint64) + base)
    index = (h % np.uint64(n_backgrounds)).astype(np.intp)
    orientation = (h >> np.uint64(61)).astype(np.intp)  # the top 3 bits
    return index, orientation


def build_mnist_m(digits: np.ndarray, backgrounds: np.ndarray, stream: int, seed: int = MNIST_M_SEED) -> np.ndarray:
    """Blend grey digits onto colour crops as Ganin & Lempitsky (2015) did: pixel = |crop - digit| per channel.

    Introduced in {ref}`sec-transfer-learning-data`. ``digits`` uint8 (N, 28, 28) (0 = background),
    ``backgrounds`` uint8 (K, 28, 28, 3); image ``i`` uses the crop and orientation
    :func:`background_choice` gives it. Returns uint8 (N, 28, 28, 3). Exact: uint8 max - min, no rounding.
    """
    digits, backgrounds = np.asarray(digits), np.asarray(backgrounds)
    if digits.dtype != np.uint8 or digits.ndim != 3 or digits.shape[1] != digits.shape[2]:
        raise ValueError(f"digits must be uint8 (N, H, H); got {digits.dtype} {digits.shape}")
    if backgrounds.dtype != np.uint8 or backgrounds.shape[1:] != digits.shape[1:] + (3,):
        raise ValueError(f"backgrounds must be uint8 (K, {digits.shape[1]}, {digits.shape[2]}, 3); "
                         f"got {backgrounds.dtype} {backgrounds.shape}")
    index, orientation = background_choice(len(digits), len(backgrounds), stream, seed)
    # The 8 orientations of every crop (8K small images), then one gather per chunk of digits; chunks keep the
    # work in cache (one pass over 60,000 images takes a fraction of a second).
    oriented = np.stack([np.rot90(backgrounds[:, :, ::-1] if o >= 4 else backgrounds, o % 4, axes=(1, 2))
                         for o in range(8)]).reshape((-1,) + backgrounds.shape[1:])
    flat = orientation * len(backgrounds) + index
    out = np.empty(digits.shape + (3,), np.uint8)
    for start in range(0, len(digits), _CHUNK):
        part = slice(start, start + _CHUNK)
        crop = np.take(oriented, flat[part], axis=0)
        digit = np.repeat(digits[part, :, :, None], 3, axis=-1)
        hi = np.maximum(crop, digit)
        np.minimum(crop, digit, out=crop)
        np.subtract(hi, crop, out=out[part])  # hi >= crop everywhere: no wrap-around
    return out


def digest(*arrays: np.ndarray) -> str:
    """SHA-256 of the arrays' bytes (C order), fed in the given order: how ``MNIST_M_SHA256`` is computed."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()
