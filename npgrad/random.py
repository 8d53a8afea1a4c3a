"""The global random number generator behind rand/randn, initialisation, dropout and shuffling."""

from __future__ import annotations

from typing import Any

import numpy as np

from .types import ArrayLike

DEFAULT_SEED = 67280421310721  # PyTorch's default seed: runs are repeatable without manual_seed

_generator = np.random.default_rng(DEFAULT_SEED)
_seed = DEFAULT_SEED


class Generator(np.random.Generator):
    """torch.Generator: a random stream of its own for the functions that take `generator=`
    (rand, randn, randint, randperm, multinomial, DataLoader, random_split ...), so that draws
    from it repeat whatever else is random. manual_seed returns the generator, as in PyTorch:
    g = npgrad.Generator().manual_seed(2147483647). It is a NumPy Generator (PCG64), so its
    numbers differ from PyTorch's and NumPy's methods work on it too; get_state() gives
    NumPy's state dict rather than a tensor of bytes."""

    def __init__(self, device: str | None = "cpu") -> None:
        from .devices import check_device

        check_device(device, "Generator")
        super().__init__(np.random.PCG64(DEFAULT_SEED))
        self._seed = DEFAULT_SEED

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.bit_generator.state = np.random.PCG64(self._seed).state
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        return self.manual_seed(np.random.SeedSequence().entropy % 2**63).initial_seed()

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict[str, Any]:
        return self.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> Generator:
        self.bit_generator.state = state
        return self


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator so that everything random afterwards repeats exactly."""
    global _generator, _seed
    _seed = int(seed)
    _generator = np.random.default_rng(_seed)
    return _generator


def initial_seed() -> int:
    return _seed


def default_generator() -> np.random.Generator:
    return _generator


def generator_or_default(generator: np.random.Generator | None) -> np.random.Generator:
    """A NumPy Generator given as `generator=`, else the global one (npgrad.manual_seed)."""
    return _generator if generator is None else generator


def get_rng_state() -> dict[str, Any]:
    """The generator's state, a dict that set_rng_state() accepts (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    _generator.bit_generator.state = state


def normal(
    mean: Tensor | float,
    std: Tensor | float = 1.0,
    size: tuple[int, ...] | None = None,
    *,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Draws from N(mean, std^2): one per entry of tensor mean and std (broadcast), in their
    dtype; for number mean and std, a float32 tensor of shape `size`."""
    means, stds = (v._data if isinstance(v, Tensor) else v for v in (mean, std))
    shape = np.broadcast_shapes(np.shape(means), np.shape(stds)) if size is None else tuple(size)
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    draws = generator_or_default(generator).standard_normal(shape) * stds + means
    return Tensor(draws.astype(tensors[0].dtype if tensors else np.float32))


def bernoulli(input: Tensor, p: float | None = None, *, generator: np.random.Generator | None = None) -> Tensor:
    """1 with probability input (or p, when given) and 0 otherwise, entry by entry, in input's dtype."""
    probabilities = input._data if p is None else np.full(input.shape, p)
    if np.any((probabilities < 0) | (probabilities > 1)):
        raise ValueError("bernoulli: the probabilities must be in [0, 1]")
    draws = generator_or_default(generator).random(input.shape) < probabilities
    return Tensor(draws.astype(input.dtype))


def multinomial(
    input: Tensor | ArrayLike, num_samples: int, replacement: bool = False, generator: np.random.Generator | None = None
) -> Tensor:
    """Category indices drawn with probabilities proportional to the rows of `input` (weights
    >= 0, not necessarily summing to 1): int64 (num_samples,) for a 1-D input, (rows,
    num_samples) for a 2-D one. Without replacement a category is drawn at most once per row.
    `generator`: a numpy Generator, or None for the global one (npgrad.manual_seed)."""
    weights = np.asarray(input._data if isinstance(input, Tensor) else input, dtype=np.float64)
    _check_distribution(weights, num_samples, replacement)
    rows = np.atleast_2d(weights)
    rng = generator_or_default(generator)
    draw = _with_replacement if replacement else _without_replacement
    samples = draw(rows, num_samples, rng)
    return Tensor(samples.reshape(weights.shape[:-1] + (num_samples,)))


def _check_distribution(weights, num_samples, replacement):
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise ValueError(f"multinomial: expected a 1-D or 2-D input of category weights, got shape {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("multinomial: the weights contain inf, nan or a value < 0")
    if np.any(weights.sum(-1) <= 0):
        raise ValueError("multinomial: a row of weights sums to 0; it needs a positive weight")
    if num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be positive, got {num_samples}")
    if not replacement and num_samples > np.count_nonzero(weights, axis=-1).min():
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from "
            f"{np.count_nonzero(weights, axis=-1).min()} categories of positive weight"
        )


def _with_replacement(rows, num_samples, rng):
    """Inverse CDF: u uniform in [0, total) falls in category i when cdf[i-1] <= u < cdf[i]."""
    cdf = np.cumsum(rows, axis=-1)
    u = rng.random((len(rows), num_samples)) * cdf[:, -1:]
    picks = [np.searchsorted(c, row_u, side="right") for c, row_u in zip(cdf, u)]
    return np.minimum(np.array(picks, dtype=np.int64), rows.shape[-1] - 1)  # u rounding up to total


def _without_replacement(rows, num_samples, rng):
    """An exponential race: category i finishes at E_i / w_i (E_i ~ Exp(1)); the first
    num_samples to finish are a draw without replacement, in order."""
    with np.errstate(divide="ignore"):
        finish = rng.standard_exponential(rows.shape) / rows  # weight 0: never (inf)
    return np.argsort(finish, axis=-1, kind="stable")[:, :num_samples].astype(np.int64)


# Last, as tensor.py does with ops: tensor.py's ops import this module (multinomial).
from .tensor import Tensor  # noqa: E402
