"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, ParamsT, add_scaled_, moving_average_


class RMSprop(Optimizer):
    """v <- α v + (1 - α) g², θ <- θ - lr · g / (√v + ε).

    centered: subtract the squared running mean of g (an estimate of its variance instead of
    its second moment). momentum μ > 0: b <- μ b + g / (√v + ε), θ <- θ - lr · b.
    Options as torch.optim.RMSprop: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0 (L2),
    momentum=0, centered=False, maximize=False. State per parameter: "step", "square_avg",
    "momentum_buffer" (momentum > 0), "grad_avg" (centered).
    Textbook twin: npgrad.textbook.optim.RMSprop.
    """

    non_negative = ("lr", "eps", "momentum", "weight_decay", "alpha")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _update(self, param, grad, state, group):
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        work = self._work_like(param)
        np.multiply(grad, grad, out=work)  # v <- α v + (1 - α) g²
        moving_average_(state["square_avg"], work, alpha, work)
        if group["centered"]:
            moving_average_(state["grad_avg"], grad, alpha, work)  # ḡ <- α ḡ + (1 - α) g
            np.multiply(state["grad_avg"], state["grad_avg"], out=work)
            np.subtract(state["square_avg"], work, out=work)  # v - ḡ²
            np.sqrt(work, out=work)
        else:
            np.sqrt(state["square_avg"], out=work)
        work += group["eps"]  # √v + ε
        step = np.divide(grad, work, out=work)
        if momentum > 0:
            step = state["momentum_buffer"]  # b <- μ b + g / (√v + ε)
            step *= momentum
            step += work
        add_scaled_(param, -group["lr"], step, work)  # θ <- θ - lr · step
