"""Keras weight initialisers by name, written into npgrad parameters in place.

The variance-scaling family draws with variance scale / fan, where fan is fan_in or the mean
of fan_in and fan_out, either uniformly in [-sqrt(3 var), sqrt(3 var)] or from a normal
truncated at two standard deviations (its std raised so that the truncated draw still has
variance var), as Keras documents for VarianceScaling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Union

from ..nn import init
from ..tensor import Tensor

Initializer = Union[str, Callable[[Tensor], Any]]  # "glorot_uniform", or a function filling the parameter in place

_TRUNCATED_STD = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]


def _variance_scaling(scale: float, mode: str, distribution: str) -> Callable[[Tensor], Tensor]:
    def initialize(tensor: Tensor) -> Tensor:
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(tensor)
        variance = scale / (fan_in if mode == "fan_in" else (fan_in + fan_out) / 2)
        if distribution == "uniform":
            bound = math.sqrt(3 * variance)
            return init.uniform_(tensor, -bound, bound)
        std = math.sqrt(variance) / _TRUNCATED_STD
        return init.trunc_normal_(tensor, 0.0, std, -2 * std, 2 * std)

    return initialize


_INITIALIZERS = {
    "glorot_uniform": _variance_scaling(1.0, "fan_avg", "uniform"),
    "glorot_normal": _variance_scaling(1.0, "fan_avg", "normal"),
    "he_uniform": _variance_scaling(2.0, "fan_in", "uniform"),
    "he_normal": _variance_scaling(2.0, "fan_in", "normal"),
    "lecun_uniform": _variance_scaling(1.0, "fan_in", "uniform"),
    "lecun_normal": _variance_scaling(1.0, "fan_in", "normal"),
    "random_normal": lambda tensor: init.normal_(tensor, 0.0, 0.05),
    "random_uniform": lambda tensor: init.uniform_(tensor, -0.05, 0.05),
    "zeros": init.zeros_,
    "ones": init.ones_,
}


def get(initializer: Initializer) -> Callable[[Tensor], Any]:
    """The function that fills a parameter in place, for a Keras name or a callable(tensor)."""
    if callable(initializer):
        return initializer
    if initializer in _INITIALIZERS:
        return _INITIALIZERS[initializer]
    raise ValueError(
        f"unknown initializer {initializer!r}; choose one of "
        f"{', '.join(map(repr, _INITIALIZERS))} or pass a function of the parameter"
    )
