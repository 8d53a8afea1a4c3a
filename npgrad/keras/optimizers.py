"""Keras optimizers: Keras's names and defaults, npgrad's (PyTorch's) update rules.

An object such as Adam(learning_rate=0.001) only holds the settings; Model.compile hands it
the model's parameters (build) and gets the npgrad optimizer that does the updates. The
rules are the same as Keras's, except that npgrad's Adam adds epsilon to sqrt(v-hat) where
Keras adds it to sqrt(v), a difference that only shows while v is tiny.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import optim
from ..nn.parameter import Parameter


class Optimizer:
    """Base class: subclasses keep their settings and define build(params)."""

    def build(self, params: Iterable[Parameter]) -> optim.Optimizer:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        self.learning_rate, self.momentum, self.nesterov = learning_rate, momentum, nesterov

    def build(self, params: Iterable[Parameter]) -> optim.Optimizer:
        return optim.SGD(params, lr=self.learning_rate, momentum=self.momentum, nesterov=self.nesterov)


class Adam(Optimizer):
    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
    ) -> None:
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon, self.amsgrad = epsilon, amsgrad

    def build(self, params: Iterable[Parameter]) -> optim.Optimizer:
        return optim.Adam(
            params, lr=self.learning_rate, betas=(self.beta_1, self.beta_2), eps=self.epsilon, amsgrad=self.amsgrad
        )


class RMSprop(Optimizer):
    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
    ) -> None:
        self.learning_rate, self.rho, self.momentum = learning_rate, rho, momentum
        self.epsilon, self.centered = epsilon, centered

    def build(self, params: Iterable[Parameter]) -> optim.Optimizer:
        return optim.RMSprop(
            params,
            lr=self.learning_rate,
            alpha=self.rho,
            eps=self.epsilon,
            momentum=self.momentum,
            centered=self.centered,
        )


class Adagrad(Optimizer):
    def __init__(
        self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7
    ) -> None:
        self.learning_rate, self.epsilon = learning_rate, epsilon
        self.initial_accumulator_value = initial_accumulator_value

    def build(self, params: Iterable[Parameter]) -> optim.Optimizer:
        return optim.Adagrad(
            params, lr=self.learning_rate, eps=self.epsilon, initial_accumulator_value=self.initial_accumulator_value
        )


_BY_NAME = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(optimizer: str | Optimizer) -> Optimizer:
    """A Keras optimizer for a name ('adam', ...) or a Keras optimizer object."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in _BY_NAME:
        return _BY_NAME[optimizer.lower()]()
    raise ValueError(
        f"unknown optimizer {optimizer!r}; choose one of {', '.join(map(repr, _BY_NAME))} "
        "or pass a keras.optimizers object such as optimizers.Adam(learning_rate=0.001)"
    )
