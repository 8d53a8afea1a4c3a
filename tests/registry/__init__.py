"""The op registry: every differentiable op of npgrad, with the inputs to test it on.

Each family file (core.py, activation.py, loss.py, ...) calls `register(...)`. test_ops.py
runs every registered case three ways: a float64 gradcheck, and forward + backward parity
with PyTorch in float32 (outputs, input gradients and dtypes). test_ops.py also fails when a
Function subclass in npgrad is not exercised by any registered op.
"""

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Arg:
    """How to make one input: a float tensor (with grad) of `shape`, or another kind."""

    shape: tuple
    kind: str = "float"  # float | positive | unit (in (0.05, 0.95)) | int | bool | value
    high: int = 0  # exclusive upper bound for kind="int"
    grad: bool = True  # whether a float input requires grad
    value: object = None  # for kind="value": passed through unchanged

    def make(self, rng):
        if self.kind == "value":
            return self.value
        if self.kind == "int":
            return rng.integers(0, self.high, self.shape)
        if self.kind == "bool":
            return rng.random(self.shape) < 0.5
        if self.kind == "positive":
            return rng.uniform(0.5, 2.0, self.shape)
        if self.kind == "unit":
            return rng.uniform(0.05, 0.95, self.shape)
        if self.kind == "distinct":  # well-separated values: no ties for max/min/sort
            return rng.permutation(int(np.prod(self.shape))).reshape(self.shape) * 0.1 - 1.0
        return rng.standard_normal(self.shape)


def f(*shape, grad=True):
    return Arg(tuple(shape), "float", grad=grad)


def pos(*shape):
    return Arg(tuple(shape), "positive")


def unit(*shape):
    return Arg(tuple(shape), "unit")


def distinct(*shape):
    return Arg(tuple(shape), "distinct")


def ints(high, *shape):
    return Arg(tuple(shape), "int", high=high)


def mask(*shape):
    return Arg(tuple(shape), "bool")


def value(v):
    return Arg((), "value", value=v)


@dataclass
class OpSpec:
    """fn(lib, F, *inputs) runs the op with lib = npgrad or torch and F = its nn.functional;
    torch_fn replaces fn on the torch side where the two APIs differ."""

    name: str
    fn: Callable
    cases: list
    torch_fn: Callable = None
    atol: float = 1e-5
    rtol: float = 1e-4
    gradcheck: bool = True
    gradcheck_atol: float = 1e-5
    gradcheck_eps: float = 1e-6
    outputs_to_compare: Callable = None  # picks the outputs to compare (default: all floating ones)
    extra: dict = field(default_factory=dict)


REGISTRY = []


def register(name, fn, cases, **options):
    if any(spec.name == name for spec in REGISTRY):
        raise ValueError(f"op {name!r} registered twice")
    REGISTRY.append(OpSpec(name, fn, [tuple(c) if isinstance(c, (tuple, list)) else (c,) for c in cases], **options))


def load_all():
    """Import every family file in this package so that its ops are registered."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY
