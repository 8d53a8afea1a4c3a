"""SGD: stochastic gradient descent, with momentum (heavy ball or Nesterov)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, ParamsT, add_scaled_


class SGD(Optimizer):
    """θ <- θ - lr · g, where g is the gradient or, with momentum μ > 0, the velocity
    b <- μ b + (1 - dampening) g (b = g on the first step); Nesterov looks ahead: g + μ b.

    Options as torch.optim.SGD: lr=1e-3, momentum=0, dampening=0, weight_decay=0 (L2),
    nesterov=False, maximize=False. State per parameter: "momentum_buffer" (when μ != 0).
    Textbook twins: npgrad.textbook.optim.SGD and npgrad.textbook.optim.Momentum.
    """

    non_negative = ("lr", "momentum", "weight_decay")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def _check(self, options):
        super()._check(options)
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires momentum > 0 and dampening = 0")

    def _update(self, param, grad, state, group):
        momentum, work = group["momentum"], self._work_like(param)
        direction = grad
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(grad, dtype=param.dtype)  # b = g
            else:
                buffer *= momentum  # b <- μ b + (1 - τ) g
                add_scaled_(buffer, 1.0 - group["dampening"], grad, work)
            direction = buffer
            if group["nesterov"]:
                np.multiply(buffer, momentum, out=work)  # g <- g + μ b
                work += grad
                direction = work
        add_scaled_(param, -group["lr"], direction, work)  # θ <- θ - lr g
