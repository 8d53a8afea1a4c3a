"""Adadelta: steps scaled by the ratio of running RMS of past steps to that of gradients."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, ParamsT, add_scaled_


class Adadelta(Optimizer):
    """v <- ρ v + (1 - ρ) g², Δ = g · √(u + ε) / √(v + ε), u <- ρ u + (1 - ρ) Δ², θ <- θ - lr Δ
    (Zeiler, 2012): no learning rate to tune in the paper (lr scales the step, 1 by default).

    Options as torch.optim.Adadelta: lr=1.0, rho=0.9, eps=1e-6, weight_decay=0 (L2),
    maximize=False. State per parameter: "step", "square_avg" (v), "acc_delta" (u).
    """

    non_negative = ("lr", "eps", "weight_decay")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        if not 0 <= rho <= 1:
            raise ValueError(f"Adadelta: invalid rho value {rho!r}, expected 0 <= rho <= 1")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, param, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            state["acc_delta"] = np.zeros_like(param)
        state["step"] += 1
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        delta, work = self._work_like(param, "delta"), self._work_like(param)
        _decay_and_add_square(square_avg, rho, grad, work)  # v <- ρ v + (1 - ρ) g²
        np.add(acc_delta, eps, out=delta)  # Δ = √(u + ε) / √(v + ε) · g
        np.sqrt(delta, out=delta)
        np.add(square_avg, eps, out=work)
        np.sqrt(work, out=work)
        np.divide(delta, work, out=delta)
        delta *= grad
        _decay_and_add_square(acc_delta, rho, delta, work)  # u <- ρ u + (1 - ρ) Δ²
        add_scaled_(param, -group["lr"], delta, delta)  # θ <- θ - lr Δ


def _decay_and_add_square(average, rho, x, work):
    """average <- ρ · average + (1 - ρ) · x², in place (PyTorch's order of operations)."""
    average *= rho
    np.multiply(x, x, out=work)
    work *= 1.0 - rho
    average += work
