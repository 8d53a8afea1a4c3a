"""L-BFGS: quasi-Newton steps from the last few changes of the parameters and the gradient.

Like torch.optim.LBFGS it works on all parameters as one flat vector, re-evaluates the model
through a closure (several times per step), and takes the same iterates: the two-loop
recursion for the direction, a first step of min(1, 1/|g|_1) · lr, and optionally the strong
Wolfe line search (bracketing, then zooming with cubic interpolation).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import enable_grad, no_grad
from .optimizer import Optimizer, ParamsT, T


class LBFGS(Optimizer):
    """d = -H g with H the L-BFGS inverse-Hessian estimate from the last `history_size` pairs
    s = θ_{k+1} - θ_k, y = g_{k+1} - g_k; θ <- θ + t d, with t = lr, or from the line search.

    Options as torch.optim.LBFGS: lr=1, max_iter=20 (iterations per step), max_eval=None
    (evaluations per step; max_iter * 5 // 4), tolerance_grad=1e-7 (stop when max |g| is
    below it), tolerance_change=1e-9 (stop when the loss or the step changes less),
    history_size=100, line_search_fn=None or "strong_wolfe". One parameter group only.
    step(closure) needs the closure: it clears the gradients, computes the loss, calls
    backward() and returns the loss. The state (direction, step, history) lives in
    state[first parameter], as in PyTorch.
    """

    non_negative = ("lr",)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(
            params,
            dict(
                lr=lr,
                max_iter=max_iter,
                max_eval=max_eval,
                tolerance_grad=tolerance_grad,
                tolerance_change=tolerance_change,
                history_size=history_size,
                line_search_fn=line_search_fn,
            ),
        )
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state_dict saved from an LBFGS over parameters of the same shapes. The state
        (counters, direction, history lists) is copied as saved: the base class would make
        arrays of the lists."""
        saved = copy.deepcopy(state_dict)
        state = saved.pop("state")
        super().load_state_dict({**saved, "state": {}})
        for values in state.values():  # one entry at most: the first parameter's
            self.state[self._params[0]] = values

    # -- the parameters as one flat vector ---------------------------------------------------
    def _flat_grad(self):
        return np.concatenate(
            [
                np.zeros(p._data.size, p._data.dtype) if p.grad is None else p.grad._data.reshape(-1)
                for p in self._params
            ]
        )

    def _add_to_params(self, step_size, direction):
        """θ <- θ + step_size · direction, parameter by parameter."""
        offset = 0
        for p in self._params:
            p._data += step_size * direction[offset : offset + p._data.size].reshape(p._data.shape)
            p._bump_version()
            offset += p._data.size

    def _set_params(self, arrays):
        for p, array in zip(self._params, arrays):
            np.copyto(p._data, array)
            p._bump_version()

    def _evaluate(self, closure):
        """The loss (a float) and the flat gradient at the current parameters."""
        with enable_grad():
            loss = float(closure())
        return loss, self._flat_grad()

    def _evaluate_along(self, closure, start, step_size, direction):
        """Loss and gradient at start + step_size · direction; the parameters stay at start."""
        self._add_to_params(step_size, direction)
        loss, grad = self._evaluate(closure)
        self._set_params(start)
        return loss, grad

    # -- the step ----------------------------------------------------------------------------
    def step(self, closure: Callable[[], T]) -> T:  # type: ignore[override]  # the closure is required
        """Up to max_iter L-BFGS iterations; returns the loss at the start (the closure's first value)."""
        with no_grad():
            return self._iterate(closure, self.param_groups[0])

    def _iterate(self, closure, group):
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            first_loss = closure()
        loss, flat_grad = float(first_loss), self._flat_grad()
        evaluations = 1
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= group["tolerance_grad"]:
            return first_loss
        iteration = 0
        while iteration < group["max_iter"]:
            iteration += 1
            state["n_iter"] += 1
            direction = self._direction(state, flat_grad, group["history_size"])
            state["prev_flat_grad"], state["prev_loss"] = flat_grad.copy(), loss
            step_size = group["lr"]
            if state["n_iter"] == 1:  # no curvature yet: a first step of at most lr in |g|_1
                step_size = min(1.0, 1.0 / np.abs(flat_grad).sum()) * group["lr"]
            state["d"], state["t"] = direction, step_size
            slope = flat_grad.dot(direction)  # g·d, negative along a descent direction
            if slope > -group["tolerance_change"]:
                break
            loss, flat_grad, step_size, used, converged = self._move(
                closure,
                group,
                loss,
                flat_grad,
                direction,
                step_size,
                slope,
                last=iteration == group["max_iter"],
                budget=group["max_eval"] - evaluations,
            )
            state["t"] = step_size
            evaluations += used
            state["func_evals"] += used
            if (
                iteration == group["max_iter"]
                or evaluations >= group["max_eval"]
                or converged
                or np.abs(direction * step_size).max() <= group["tolerance_change"]
                or abs(loss - state["prev_loss"]) < group["tolerance_change"]
            ):
                break
        return first_loss

    def _direction(self, state, flat_grad, history_size):
        """-g at the first iteration; afterwards, record the last (s, y) pair and take -H g."""
        if state["n_iter"] == 1:
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
            return -flat_grad
        y = flat_grad - state["prev_flat_grad"]
        s = state["d"] * state["t"]
        ys = y.dot(s)
        if ys > 1e-10:  # keep only pairs with positive curvature, so that H stays positive definite
            if len(state["old_dirs"]) == history_size:
                for key in ("old_dirs", "old_stps", "ro"):
                    state[key].pop(0)
            state["old_dirs"].append(y)
            state["old_stps"].append(s)
            state["ro"].append(1.0 / ys)
            state["H_diag"] = ys / y.dot(y)  # H0 = (s·y / y·y) I
        state.setdefault("al", [None] * history_size)
        return _two_loop(flat_grad, state["old_dirs"], state["old_stps"], state["ro"], state["H_diag"], state["al"])

    def _move(self, closure, group, loss, flat_grad, direction, step_size, slope, last, budget):
        """Take the step θ <- θ + t d: (loss, gradient, t, evaluations used, converged)."""
        if group["line_search_fn"] == "strong_wolfe":
            start = [p._data.copy() for p in self._params]
            loss, flat_grad, step_size, used = strong_wolfe(
                lambda t: self._evaluate_along(closure, start, t, direction),
                direction,
                step_size,
                loss,
                flat_grad,
                slope,
                max_ls=budget,
            )
            self._add_to_params(step_size, direction)
        else:
            self._add_to_params(step_size, direction)
            if last:  # no evaluation after the last iteration: the next step makes one anyway
                return loss, flat_grad, step_size, 0, False
            loss, flat_grad = self._evaluate(closure)
            used = 1
        return loss, flat_grad, step_size, used, np.abs(flat_grad).max() <= group["tolerance_grad"]


def _two_loop(flat_grad, ys, ss, rhos, h_diag, alphas):
    """-H g by the two-loop recursion (Nocedal & Wright, Algorithm 7.4); `alphas` is scratch."""
    q = -flat_grad
    for i in range(len(ys) - 1, -1, -1):
        alphas[i] = ss[i].dot(q) * rhos[i]
        q -= alphas[i] * ys[i]
    r = q * h_diag
    for i in range(len(ys)):
        beta = ys[i].dot(r) * rhos[i]
        r += (alphas[i] - beta) * ss[i]
    return r


def cubic_minimum(
    x1: float, f1: float, g1: float, x2: float, f2: float, g2: float, bounds: tuple[float, float] | None = None
) -> float:
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clipped to
    `bounds` (default: between x1 and x2); their midpoint when the cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, low), high)


class _Point:
    """A trial step t along d with its loss f, gradient g and slope g·d."""

    def __init__(self, t, f, g, slope):
        self.t, self.f, self.g, self.slope = t, f, g, slope


def strong_wolfe(
    evaluate: Callable[[float], tuple[float, np.ndarray]],
    direction: np.ndarray,
    t: float,
    f: float,
    g: np.ndarray,
    slope: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """A step t along `direction` with sufficient decrease, f(t) <= f + c1 t g·d, and small
    slope, |g(t)·d| <= c2 |g·d|: bracketing, then zooming (Nocedal & Wright, Algorithms 3.5
    and 3.6) with minFunc's cubic interpolation and safeguards, as PyTorch's LBFGS does.
    evaluate(t) -> (loss, flat gradient). Returns (loss, gradient, t, evaluations)."""
    start = _Point(0, f, g.copy(), slope)
    new = _Point(t, *_with_slope(evaluate(t), direction))
    bracket, done, tries = _bracket(evaluate, direction, start, new, c1, c2, max_ls)
    evaluations = tries + 1
    if tries == max_ls:
        bracket = [start, bracket[-1]]
    if not done and tries < max_ls:
        bracket, evaluations = _zoom(
            evaluate, direction, start, bracket, c1, c2, tolerance_change, max_ls - tries, evaluations
        )
    best = bracket[0] if len(bracket) == 1 else min(bracket, key=lambda p: p.f)
    return best.f, best.g, best.t, evaluations


def _with_slope(loss_and_grad, direction):
    loss, grad = loss_and_grad
    return loss, grad, grad.dot(direction)


def _bracket(evaluate, direction, start, new, c1, c2, max_ls):
    """Grow t until [previous, t] brackets an acceptable step, or t itself is acceptable:
    (bracket, done, tries = evaluations after the first)."""
    previous, tries = start, 0
    while tries < max_ls:
        if new.f > start.f + c1 * new.t * start.slope or (tries > 1 and new.f >= previous.f):
            return [previous, new], False, tries
        if abs(new.slope) <= -c2 * start.slope:
            return [new], True, tries
        if new.slope >= 0:
            return [previous, new], False, tries
        t = cubic_minimum(
            previous.t,
            previous.f,
            previous.slope,
            new.t,
            new.f,
            new.slope,
            bounds=(new.t + 0.01 * (new.t - previous.t), new.t * 10),
        )
        previous, new = new, _Point(t, *_with_slope(evaluate(t), direction))
        tries += 1
    return [previous, new], False, tries


def _zoom(evaluate, direction, start, bracket, c1, c2, tolerance_change, budget, evaluations):
    """Shrink the bracket [a, b] around a step that satisfies both Wolfe conditions; `low` is
    the end with the lower loss. Returns (bracket, evaluations)."""
    d_norm = np.abs(direction).max()
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    stuck = False
    for _ in range(budget):
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break
        t = cubic_minimum(a.t, a.f, a.slope, b.t, b.f, b.slope)
        t, stuck = _away_from_ends(t, min(a.t, b.t), max(a.t, b.t), stuck)
        new = _Point(t, *_with_slope(evaluate(t), direction))
        evaluations += 1
        if new.f > start.f + c1 * t * start.slope or new.f >= bracket[low].f:
            bracket[high] = new  # not low enough: it becomes the high end
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if abs(new.slope) <= -c2 * start.slope:
            bracket[low] = new
            return [bracket[low]], evaluations
        if new.slope * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]  # the minimum lies on the other side of the new point
        bracket[low] = new
    return [bracket[low]], evaluations


def _away_from_ends(t, lowest, highest, stuck):
    """Keep a trial step at least 10% of the bracket away from its ends when the last trial was
    already too close (or t is at an end): (t, whether this one was too close)."""
    margin = 0.1 * (highest - lowest)
    if min(highest - t, t - lowest) >= margin:
        return t, False
    if not (stuck or t >= highest or t <= lowest):
        return t, True
    return (highest - margin, False) if abs(t - highest) < abs(t - lowest) else (lowest + margin, False)
