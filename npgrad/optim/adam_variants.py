"""Adam's relatives, as torch.optim has them: Adamax (an infinity norm in place of v), NAdam
(Nesterov momentum in Adam) and RAdam (Adam with its variance rectified while v is young)."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, ParamsT, add_scaled_, moving_average_


class _AdamFamily(Optimizer):
    """The options and first-moment state the three share; decoupled_weight_decay shrinks
    θ <- θ (1 - lr λ) instead of adding λθ to the gradient, as AdamW does."""

    non_negative = ("lr", "eps", "weight_decay")
    fractions = (("betas", 0), ("betas", 1))

    def _start(self, param, grad, state, group, second_moment):
        """Count the step, shrink θ for decoupled decay, and move m <- β1 m + (1 - β1) g."""
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state[second_moment] = np.zeros_like(param)
        state["step"] += 1
        if group.get("decoupled_weight_decay"):
            param *= 1.0 - group["lr"] * group["weight_decay"]
        moving_average_(state["exp_avg"], grad, group["betas"][0], self._work_like(param))
        return state["step"]

    def _square_average(self, v, grad, beta2):
        """v <- β2 v + (1 - β2) g², in PyTorch's order of operations."""
        work = self._work_like(v)
        v *= beta2
        np.multiply(grad, grad, out=work)
        work *= 1.0 - beta2
        v += work


class Adamax(_AdamFamily):
    """u <- max(β2 u, |g| + ε), θ <- θ - lr / (1 - β1^t) · m / u: Adam with the infinity norm
    of past gradients in place of √v (Kingma & Ba, 2015). Options as torch.optim.Adamax:
    lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False. State: "step",
    "exp_avg" (m), "exp_inf" (u)."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, param, grad, state, group):
        step = self._start(param, grad, state, group, "exp_inf")
        beta1, beta2 = group["betas"]
        u, work = state["exp_inf"], self._work_like(param)
        u *= beta2
        np.abs(grad, out=work)
        work += group["eps"]
        np.maximum(u, work, out=u)
        np.divide(state["exp_avg"], u, out=work)
        add_scaled_(param, -group["lr"] / (1.0 - beta1**step), work, work)


class NAdam(_AdamFamily):
    """Adam with Nesterov momentum (Dozat, 2016): with μ_t = β1 (1 - 0.96^(t ψ) / 2),
    θ <- θ - lr [(1 - μ_t) g / (1 - Π_{i≤t} μ_i) + μ_{t+1} m / (1 - Π_{i≤t+1} μ_i)] / (√v̂ + ε),
    v̂ = v / (1 - β2^t): the step looks one momentum update ahead. Options as torch.optim.NAdam:
    lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3 (ψ),
    decoupled_weight_decay=False, maximize=False. State: "step", "mu_product", "exp_avg",
    "exp_avg_sq"."""

    non_negative = ("lr", "eps", "weight_decay", "momentum_decay")

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        options = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)
        super().__init__(params, dict(options, decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _update(self, param, grad, state, group):
        step = self._start(param, grad, state, group, "exp_avg_sq")
        (beta1, beta2), lr, psi = group["betas"], group["lr"], group["momentum_decay"]
        mu, mu_next = (beta1 * (1.0 - 0.5 * 0.96 ** (t * psi)) for t in (step, step + 1))
        state["mu_product"] = state.get("mu_product", 1.0) * mu
        self._square_average(state["exp_avg_sq"], grad, beta2)
        denom, work = self._work_like(param, "denom"), self._work_like(param)
        np.divide(state["exp_avg_sq"], 1.0 - beta2**step, out=denom)  # √v̂ + ε
        np.sqrt(denom, out=denom)
        denom += group["eps"]
        np.divide(grad, denom, out=work)
        add_scaled_(param, -lr * (1.0 - mu) / (1.0 - state["mu_product"]), work, work)
        np.divide(state["exp_avg"], denom, out=work)
        add_scaled_(param, -lr * mu_next / (1.0 - state["mu_product"] * mu_next), work, work)


class RAdam(_AdamFamily):
    """Adam whose adaptive step is multiplied by a rectification r_t that corrects the variance
    of √v̂ while few gradients are in it (Liu et al., 2020); for the first steps (ρ_t <= 5) the
    step is plain momentum, θ <- θ - lr m̂. ρ_∞ = 2 / (1 - β2) - 1, ρ_t = ρ_∞ - 2 t β2^t / (1 - β2^t),
    r_t = √((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t)). Options as torch.optim.RAdam:
    lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
    maximize=False. State: "step", "exp_avg", "exp_avg_sq"."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        options = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(options, decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _update(self, param, grad, state, group):
        step = self._start(param, grad, state, group, "exp_avg_sq")
        (beta1, beta2), lr = group["betas"], group["lr"]
        self._square_average(state["exp_avg_sq"], grad, beta2)
        correction1, correction2 = 1.0 - beta1**step, 1.0 - beta2**step
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho = rho_inf - 2.0 * step * beta2**step / correction2
        work = self._work_like(param)
        if rho <= 5.0:  # too few gradients in v: a momentum step
            np.divide(state["exp_avg"], correction1, out=work)
            add_scaled_(param, -lr, work, work)
            return
        rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        np.sqrt(state["exp_avg_sq"], out=work)  # m̂ · lr · √(1 - β2^t) / (√v + ε) · r_t
        work += group["eps"]
        np.divide(math.sqrt(correction2), work, out=work)
        work *= np.divide(state["exp_avg"], correction1) * lr
        work *= rect
        param -= work
