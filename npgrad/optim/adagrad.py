"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, add_scaled_


class Adagrad(Optimizer):
    """s <- s + g², θ <- θ - lr_t · g / (√s + ε), with lr_t = lr / (1 + (t - 1) · lr_decay).

    Options as torch.optim.Adagrad: lr=1e-2, lr_decay=0, weight_decay=0 (L2),
    initial_accumulator_value=0, eps=1e-10, maximize=False. State per parameter: "step",
    "sum" (created with the group, like PyTorch, so it starts at initial_accumulator_value).
    Textbook twin: npgrad.textbook.optim.Adagrad.
    """

    non_negative = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state[p] = {"step": 0, "sum": np.full_like(p._data, group["initial_accumulator_value"])}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        squares, work = state["sum"], self._work_like(param)
        np.multiply(grad, grad, out=work)  # s <- s + g²
        squares += work
        np.sqrt(squares, out=work)  # θ <- θ - lr_t g / (√s + ε)
        work += group["eps"]
        np.divide(grad, work, out=work)
        add_scaled_(param, -lr, work, work)
