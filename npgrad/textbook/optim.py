"""The optimizers' update rules, as the lecture writes them: theta is a parameter, g its
gradient dL/dtheta, and each rule returns the new theta from the old one, keeping what it needs
between steps (velocity, sums of squares, moments) in its `state` dict.

The fast optimizers (npgrad.optim) compute the same updates in place with NumPy's out=
arguments and reused scratch arrays (no allocation per step), and add parameter groups,
weight decay, maximize, Nesterov momentum, AMSGrad, centered RMSprop and state_dicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


class Optimizer:
    """Apply `update(theta, g, state)` to every parameter that has a gradient."""

    def __init__(self, params: Iterable[Tensor], **hyper: float) -> None:
        self.params, self.hyper = list(params), hyper
        self.state = [{} for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        with no_grad():
            for p, state in zip(self.params, self.state):
                if p.grad is not None:
                    p.copy_(self.update(p.detach().numpy(), p.grad.numpy(), state, **self.hyper))


class SGD(Optimizer):
    """theta <- theta - lr g"""

    def update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float) -> np.ndarray:
        return theta - lr * g


class Momentum(Optimizer):
    """v <- mu v + g,  theta <- theta - lr v  (v = 0 at first). With a constant lr this is the
    same as v <- mu v - lr g, theta <- theta + v, the form many lectures write."""

    def update(self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float, mu: float = 0.9) -> np.ndarray:
        state["v"] = mu * state.get("v", 0) + g
        return theta - lr * state["v"]


class Adagrad(Optimizer):
    """h <- h + g * g,  theta <- theta - lr g / (sqrt(h) + eps): each coordinate's step shrinks
    with the sum of its squared gradients so far."""

    def update(
        self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float, eps: float = 1e-10
    ) -> np.ndarray:
        state["h"] = state.get("h", 0) + g * g
        return theta - lr * g / (np.sqrt(state["h"]) + eps)


class RMSprop(Optimizer):
    """h <- alpha h + (1 - alpha) g * g,  theta <- theta - lr g / (sqrt(h) + eps): Adagrad with
    a moving average, so that old gradients are forgotten."""

    def update(
        self, theta: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float, alpha: float = 0.99, eps: float = 1e-8
    ) -> np.ndarray:
        state["h"] = alpha * state.get("h", 0) + (1 - alpha) * g * g
        return theta - lr * g / (np.sqrt(state["h"]) + eps)


class Adam(Optimizer):
    """Momentum on the gradient (m) and RMSprop's scaling (v), both corrected for starting at 0:

    m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g * g
    m_hat = m / (1 - beta1^t),      v_hat = v / (1 - beta2^t)
    theta <- theta - lr m_hat / (sqrt(v_hat) + eps)
    """

    def update(
        self,
        theta: np.ndarray,
        g: np.ndarray,
        state: dict[str, Any],
        lr: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> np.ndarray:
        t = state["t"] = state.get("t", 0) + 1
        m = state["m"] = beta1 * state.get("m", 0) + (1 - beta1) * g
        v = state["v"] = beta2 * state.get("v", 0) + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps)
