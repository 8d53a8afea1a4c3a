"""Which NumPy Generator a data loader, sampler or transform draws its random numbers from."""

from __future__ import annotations

import numpy as np

from .. import random
from ..types import _generator


def seeded(generator: _generator | None) -> np.random.Generator | None:
    """Done once, at construction: an int seed becomes its own Generator, so that every epoch
    draws fresh numbers and the whole run still repeats. None and Generators are kept."""
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"generator: expected None, an int seed or a numpy.random.Generator, got {type(generator).__name__}"
    )


def current(generator: np.random.Generator | None) -> np.random.Generator:
    """The Generator to draw from now: `generator`, or npgrad's global one (which
    npgrad.manual_seed replaces) when it is None."""
    return random.default_generator() if generator is None else generator
