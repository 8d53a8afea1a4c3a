"""Keras activation names, as the npgrad activation modules that compute them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Union

from .. import nn

ActivationLike = Union[str, nn.Module, None]  # "relu", an npgrad Module, or None / "linear" for none

_MODULES = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "softmax": lambda: nn.Softmax(dim=-1),  # over the last axis, as in Keras
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "swish": nn.SiLU,
    "softplus": nn.Softplus,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),  # Keras's default slope
}


def get(activation: ActivationLike) -> tuple[str, Callable[[], nn.Module] | None]:
    """(name, make_module) for an activation given as a name, None or 'linear' (make_module is
    None: nothing to apply), or an npgrad Module."""
    if activation is None or activation == "linear":
        return "linear", None
    if isinstance(activation, nn.Module):
        return type(activation).__name__.lower(), lambda: activation
    if activation in _MODULES:
        return activation, _MODULES[activation]
    raise ValueError(
        f"unknown activation {activation!r}; choose one of "
        f"{', '.join(map(repr, ['linear', *_MODULES]))} or pass an npgrad Module"
    )
