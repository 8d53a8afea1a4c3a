"""MNIST-1D (Greydanus & Kobak, "Scaling Down Deep Learning with MNIST-1D", 2020): a small,
generated stand-in for MNIST. Each of the ten digits is a hand-drawn 1-D curve of 12 points;
an example is its digit's curve padded with a random number of zeros, stretched, scaled,
shifted round in a circle, filled with smooth noise where it is zero, given white noise and
a random tilt (shear), and finally sampled at 40 points. Linear, MLP and CNN classifiers
reach about 32%, 68% and 94% on it, so it separates model families far better than MNIST.

This is our NumPy rewrite of the published generator (github.com/greydanus/mnist1d, Apache-
2.0) with its default settings; it needs no files. It draws the same random numbers in the
same order as the reference, so it reproduces the published data set: labels and `t`
exactly, the signals to within 2.2e-16 (a rounding difference in 0.05% of the values).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..data.dataset import Dataset

# The ten digits as 1-D curves, one row each (the published templates).
TEMPLATES = np.array(
    [
        [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],
        [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],
        [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],
        [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],
        [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],
        [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],
        [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],
        [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5],
    ]
)
EPS = 1e-8  # added to the curves so that only the padding is exactly zero


def templates() -> tuple[np.ndarray, np.ndarray]:
    """The curves standardised per digit, starting at 0, scaled by 1/6; and their x axis."""
    x = TEMPLATES - TEMPLATES.mean(1, keepdims=True)
    x /= x.std(1, keepdims=True)
    x -= x[:, :1]
    return x / 6.0, np.linspace(-5, 5, TEMPLATES.shape[1]) / 6.0


def make_mnist1d(
    num_samples: int = 5000,
    train_split: float = 0.8,
    padding: tuple[int, int] = (36, 60),
    scale_coeff: float = 0.4,
    max_translation: int = 48,
    corr_noise_scale: float = 0.25,
    iid_noise_scale: float = 2e-2,
    shear_scale: float = 0.75,
    shuffle_seq: bool = False,
    final_seq_length: int = 40,
    seed: int = 42,
) -> dict[str, np.ndarray]:
    """Generate MNIST-1D; the defaults are the published ones (4,000 train + 1,000 test
    examples of length 40, seed 42). Returns a dict of float64/int64 arrays as the reference
    does: x, y (train), x_test, y_test, and t, the x axis to plot a signal against."""
    curves, axis = templates()
    labels = np.repeat(np.arange(10), num_samples // 10)
    stretched_len = curves.shape[1] + padding[1]
    rng = np.random.RandomState(seed)  # the legacy generator the reference seeds
    draws = _draw_random_numbers(rng, len(labels), stretched_len, padding, max_translation)
    x = _pad_and_stretch(curves[labels] + EPS, draws["pad"], stretched_len)
    x *= 1 + scale_coeff * (draws["scale"] - 0.5)[:, None]
    x = _roll_rows(x, draws["shift"])
    x = np.where(x != 0, x, gaussian_smooth(corr_noise_scale * draws["corr_noise"], sigma=2))
    x = x + iid_noise_scale * draws["iid_noise"]
    x = x - (shear_scale * (draws["shear"] - 0.5))[:, None] * np.linspace(-0.5, 0.5, stretched_len)
    x = resample(x, final_seq_length)
    t = resample(resample(axis, stretched_len), final_seq_length)
    order = rng.permutation(len(labels))  # shuffle the examples
    x, labels = x[order], labels[order]
    if shuffle_seq:
        x = x[:, rng.permutation(final_seq_length)]
    t = t / x.std()
    x = (x - x.mean()) / x.std()
    split = int(len(labels) * train_split)
    return {"x": x[:split], "y": labels[:split], "x_test": x[split:], "y_test": labels[split:], "t": t}


def _draw_random_numbers(rng, n, length, padding, max_translation):
    """Every example's random numbers, drawn example by example in the reference's order
    (pad, scale, shift, correlated noise, white noise, shear) so that the data repeat it."""
    draws = {
        "pad": np.empty(n, np.int64),
        "scale": np.empty(n),
        "shift": np.empty(n, np.int64),
        "corr_noise": np.empty((n, length)),
        "iid_noise": np.empty((n, length)),
        "shear": np.empty(n),
    }
    low, high = padding
    for i in range(n):
        draws["pad"][i] = low + int(rng.rand() * (high - low + 1))
        draws["scale"][i] = rng.rand()
        draws["shift"][i] = rng.choice(max_translation)
        draws["corr_noise"][i] = rng.randn(length)
        draws["iid_noise"][i] = rng.randn(length)
        draws["shear"][i] = rng.rand()
    return draws


def _pad_and_stretch(curves, pad, length):
    """Append pad[i] zeros to curve i, then resample it to `length` points; the curves that
    get the same padding (at most 25 groups) are done together."""
    out = np.empty((len(curves), length))
    for zeros in np.unique(pad):
        rows = pad == zeros
        padded = np.concatenate([curves[rows], np.zeros((rows.sum(), zeros))], axis=1)
        out[rows] = resample(padded, length)
    return out


def resample(rows: np.ndarray, n: int) -> np.ndarray:
    """Linear interpolation of each row (sampled evenly on [0, 1]) at n even points: np.interp
    for every row at once, with np.interp's arithmetic."""
    m = rows.shape[-1]
    old, new = np.linspace(0, 1, m), np.linspace(0, 1, n)
    left = np.clip(np.searchsorted(old, new, side="right") - 1, 0, m - 2)
    slope = (rows[..., left + 1] - rows[..., left]) / (old[left + 1] - old[left])
    out = slope * (new - old[left]) + rows[..., left]
    out[..., new >= old[-1]] = rows[..., -1:]  # the last point exactly
    return out


def _roll_rows(x, shift):
    """Row i shifted right by shift[i], wrapping around."""
    columns = (np.arange(x.shape[1]) - shift[:, None]) % x.shape[1]
    return np.take_along_axis(x, columns, axis=1)


def gaussian_smooth(rows: np.ndarray, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Each row convolved with a Gaussian of width sigma (cut at truncate * sigma), the edges
    mirrored; summed in the same order as scipy.ndimage.gaussian_filter, for identical bits."""
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / sigma**2 * offsets * offsets)
    weights /= weights.sum()
    padded = np.pad(rows, ((0, 0), (radius, radius)), mode="symmetric")
    n = rows.shape[1]

    def shifted(k):  # the rows moved by k places
        return padded[:, radius + k : radius + k + n]

    out = shifted(0) * weights[radius]
    for k in range(radius, 0, -1):
        out += (shifted(-k) + shifted(k)) * weights[radius - k]
    return out


_cache: dict[str, np.ndarray] = {}


def _default_split(train):
    if not _cache:
        _cache.update(make_mnist1d())
    return (_cache["x"], _cache["y"]) if train else (_cache["x_test"], _cache["y_test"])


class MNIST1D(Dataset):
    """The MNIST-1D data set, generated with the published defaults (no files needed).

    data: float32 (N, 40) signals (4,000 train, 1,000 test); targets: int64 (N,) digits;
    t: float32 (40,), the x axis for plotting; classes: "0".."9".
    dataset[i] is (signal (40,) float32, label int); `transform`, if given, gets the signal,
    or a batch (n, 40) when the DataLoader fetches whole batches. For a Conv1d, add the
    channel axis: x[:, None]. arrays() gives everything at once.
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, train: bool = True, transform: Callable[[np.ndarray], Any] | None = None) -> None:
        x, y = _default_split(train)
        self.train = train
        self.data = x.astype(np.float32)
        self.targets = y.astype(np.int64)
        self.t = _cache["t"].astype(np.float32)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.data)

    def _transformed(self, x):
        return x if self.transform is None else self.transform(x)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        return self._transformed(self.data[index]), int(self.targets[index])

    def get_batch(self, indices: np.ndarray) -> tuple[Any, np.ndarray]:
        return self._transformed(self.data[indices]), self.targets[indices]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """x float32 (N, 40) and y int64 (N,), copies, without the transform."""
        return self.data.copy(), self.targets.copy()

    def __repr__(self) -> str:
        return f"MNIST1D({'train' if self.train else 'test'}: {len(self)} signals of length 40)"
