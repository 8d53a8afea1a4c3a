"""Generated data sets that need no files: the logic-gate truth tables (as Tensors) and the
2-D classification sets spirals, moons and circles (as NumPy arrays, like scikit-learn's:
x float32 (N, 2), y int64 (N,), ordered by class).

`seed` is an int (the default 0 gives the same points every time), a numpy Generator, or
None for npgrad's global generator.
"""

from __future__ import annotations

import numpy as np

from ..data import _rng
from ..tensor import Tensor, tensor
from ..types import _generator

_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
_GATES = {
    "AND": np.array([0, 0, 0, 1], dtype=np.float32),
    "OR": np.array([0, 1, 1, 1], dtype=np.float32),
    "XOR": np.array([0, 1, 1, 0], dtype=np.float32),
}


def truth_table(gate: str) -> tuple[Tensor, Tensor]:
    """The four rows of a two-input gate: inputs (4, 2) and targets (4,) as float32 tensors."""
    key = gate.upper()
    if key not in _GATES:
        raise ValueError(f"truth_table: unknown gate {gate!r}; choose from {sorted(_GATES)}")
    return tensor(_INPUTS), tensor(_GATES[key])


def and_gate() -> tuple[Tensor, Tensor]:
    return truth_table("AND")


def or_gate() -> tuple[Tensor, Tensor]:
    return truth_table("OR")


def xor_gate() -> tuple[Tensor, Tensor]:
    return truth_table("XOR")


def spirals(
    n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: _generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n data set): class k's points run
    from the centre outwards while their angle turns from 4k to 4(k + 1) radians, plus
    Gaussian noise of std `noise` on the angle."""
    rng = _generator_for(seed)
    label = np.repeat(np.arange(classes), n_per_class)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    angle = 4.0 * (label + radius) + noise * rng.standard_normal(len(label))
    return _points(radius * np.sin(angle), radius * np.cos(angle), label)


def moons(n_samples: int = 100, noise: float = 0.0, seed: _generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 the upper one, class 1 the lower one, shifted
    right; Gaussian noise of std `noise` on both coordinates."""
    outer = np.linspace(0, np.pi, n_samples // 2)
    inner = np.linspace(0, np.pi, n_samples - n_samples // 2)
    x = np.concatenate([np.cos(outer), 1 - np.cos(inner)])
    y = np.concatenate([np.sin(outer), 0.5 - np.sin(inner)])
    return _noisy(x, y, _two_classes(len(outer), len(inner)), noise, seed)


def circles(
    n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, seed: _generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A circle of class 0 around a smaller one (radius `factor`) of class 1; Gaussian noise of
    std `noise` on both coordinates."""
    outer = np.linspace(0, 2 * np.pi, n_samples // 2, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_samples - n_samples // 2, endpoint=False)
    x = np.concatenate([np.cos(outer), factor * np.cos(inner)])
    y = np.concatenate([np.sin(outer), factor * np.sin(inner)])
    return _noisy(x, y, _two_classes(len(outer), len(inner)), noise, seed)


def _generator_for(seed: _generator | None) -> np.random.Generator:
    return _rng.current(_rng.seeded(seed))


def _two_classes(first, second):
    return np.repeat([0, 1], [first, second])


def _noisy(x, y, label, noise, seed):
    jitter = noise * _generator_for(seed).standard_normal((2, len(label)))
    return _points(x + jitter[0], y + jitter[1], label)


def _points(x, y, label):
    return np.stack([x, y], axis=1).astype(np.float32), label.astype(np.int64)
