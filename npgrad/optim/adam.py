"""Adam: steps from bias-corrected running averages of the gradient and its square."""

from __future__ import annotations

import math

import numpy as np

from ..backends import numba as numba_backend
from ..functional._util import in_blocks
from .optimizer import Optimizer, ParamsT, add_scaled_, moving_average_


class Adam(Optimizer):
    """m <- β1 m + (1 - β1) g, v <- β2 v + (1 - β2) g²,
    θ <- θ - lr · m̂ / (√v̂ + ε) with m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t).

    amsgrad: divide by the running maximum of v instead (Reddi et al., 2018).
    decoupled_weight_decay: shrink θ <- θ (1 - lr λ) instead of adding λθ to g (that is AdamW).
    Options as torch.optim.Adam: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    amsgrad=False, maximize=False, decoupled_weight_decay=False. State per parameter: "step",
    "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (amsgrad).
    Textbook twin: npgrad.textbook.optim.Adam.
    """

    non_negative = ("lr", "eps", "weight_decay")
    fractions = (("betas", 0), ("betas", 1))

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
                decoupled_weight_decay=decoupled_weight_decay,
            ),
        )

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        # θ <- θ - lr m̂ / (√v̂ + ε), multiplied through by √(1 - β2^t) to save a pass:
        # θ <- θ - (lr √(1 - β2^t) / (1 - β1^t)) · m / (√v + ε √(1 - β2^t))
        correction1 = 1.0 - beta1 ** state["step"]
        correction2_sqrt = math.sqrt(1.0 - beta2 ** state["step"])
        eps, step_size = group["eps"] * correction2_sqrt, -lr * correction2_sqrt / correction1
        shrink = 1.0 - lr * group["weight_decay"] if group["decoupled_weight_decay"] else 1.0
        to_dtype = param.dtype.type  # NumPy's float32 arithmetic below takes its scalars as float32
        scalars = tuple(map(to_dtype, (shrink, 1.0 - beta1, 1.0 - beta2, eps, step_size)))
        arrays = (param, grad, state["exp_avg"], state["exp_avg_sq"])
        if not group["amsgrad"] and numba_backend.elementwise("adam_step_", scalars, *arrays):
            return  # one compiled pass did the same
        if group["amsgrad"]:
            arrays += (state["max_exp_avg_sq"],)
        for block in in_blocks(*arrays):  # NumPy's twelve passes, over one block at a time
            self._numpy_step(shrink, beta1, beta2, eps, step_size, *block)

    def _numpy_step(self, shrink, beta1, beta2, eps, step_size, param, grad, m, v, v_max=None):
        """The update of (a block of) one parameter and its state, pass by pass in NumPy."""
        if shrink != 1.0:
            param *= shrink  # θ <- θ (1 - lr λ)
        work = self._work_like(param)
        moving_average_(m, grad, beta1, work)  # m <- β1 m + (1 - β1) g
        np.multiply(grad, grad, out=work)  # v <- β2 v + (1 - β2) g²
        moving_average_(v, work, beta2, work)
        if v_max is not None:
            v = np.maximum(v_max, v, out=v_max)  # v_max <- max(v_max, v)
        np.sqrt(v, out=work)
        work += eps
        np.divide(m, work, out=work)
        add_scaled_(param, step_size, work, work)
