"""Loss functions: mse, l1, smooth l1, cross-entropy (fused with log-softmax), nll, binary cross-entropy on
probabilities and on logits, and KL divergence, with PyTorch's reductions.

reduction='none' keeps one loss per element (or per row of class scores), 'sum' adds them and
'mean' divides that sum by their number -- except that nll_loss and cross_entropy with class
indices divide by the total weight of the targets that are not ignored, as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .activation import _check_floating, _sigmoid, _softmax_parts, _softplus
from .elementwise import cast

REDUCTIONS = ("none", "mean", "sum")


def _reduce(losses, reduction, divisor):
    """'none' keeps every loss, 'sum' adds them, 'mean' (or 'batchmean') divides the sum by divisor."""
    if reduction == "none":
        return losses
    total = losses.sum()
    with np.errstate(invalid="ignore", divide="ignore"):  # the mean of no losses is NaN, as in PyTorch
        return total if reduction == "sum" else total / divisor


def _unreduce(grad, shape, reduction, divisor):
    """The gradient of each of the losses (of `shape`) from the gradient of the reduced loss."""
    if reduction == "none":
        return grad
    return np.broadcast_to(grad if reduction == "sum" else grad / divisor, shape)


# --------------------------------------------------------------- element-wise losses
class _ElementwiseLossFunction(Function):
    """A loss for every element of input against target, then reduced.

    Subclasses define losses(input, target, **options), keeping what the derivatives need,
    and input_grad(grad) / target_grad(grad), given the gradient of every element's loss.
    """

    def forward(self, input, target, *, reduction, **options):
        self.shape, self.reduction = input.shape, reduction
        self.divisor = input.shape[0] if reduction == "batchmean" else input.size
        return _reduce(self.losses(input, target, **options), reduction, self.divisor)

    def backward(self, grad):
        grad = _unreduce(grad, self.shape, self.reduction, self.divisor)
        grad_input = self.input_grad(grad) if self.needs_input_grad[0] else None
        grad_target = self.target_grad(grad) if self.needs_input_grad[1] else None
        return grad_input, grad_target


class MSELossFunction(_ElementwiseLossFunction):
    def losses(self, input, target):
        self.diff = input - target
        return self.diff * self.diff

    def input_grad(self, grad):
        return 2 * self.diff * grad  # d(x - y)^2/dx = 2 (x - y)

    def target_grad(self, grad):
        return -2 * self.diff * grad


class SmoothL1LossFunction(_ElementwiseLossFunction):
    def losses(self, input, target, *, beta):
        diff = input - target
        self.quadratic = np.abs(diff) < beta
        # d loss/dx = (x - y) / beta in the quadratic part, sign(x - y) outside it
        self.slope = np.where(self.quadratic, diff / beta if beta else 0, np.sign(diff))
        return np.where(self.quadratic, 0.5 * diff * self.slope, np.abs(diff) - 0.5 * beta).astype(diff.dtype)

    def input_grad(self, grad):
        return grad * self.slope

    def target_grad(self, grad):
        return -grad * self.slope


class L1LossFunction(_ElementwiseLossFunction):
    def losses(self, input, target):
        diff = input - target
        self.sign = np.sign(diff)
        return np.abs(diff)

    def input_grad(self, grad):
        return grad * self.sign  # d|x - y|/dx = sign(x - y)

    def target_grad(self, grad):
        return -grad * self.sign


class BinaryCrossEntropyFunction(_ElementwiseLossFunction):
    """l = -w (y log x + (1 - y) log(1 - x)) on probabilities x, each log clamped to >= -100."""

    def losses(self, input, target, *, weight):
        self.input, self.target, self.weight = input, target, weight
        with np.errstate(divide="ignore"):
            self.log_x = np.maximum(np.log(input), -100)
            self.log_1mx = np.maximum(np.log1p(-input), -100)
        return -weight * (target * self.log_x + (1 - target) * self.log_1mx)

    def input_grad(self, grad):
        # dl/dx = w (x - y) / (x (1 - x)), the denominator kept >= 1e-12 as in PyTorch
        x = self.input
        return grad * self.weight * (x - self.target) / np.maximum(x * (1 - x), 1e-12)

    def target_grad(self, grad):
        x = self.input
        with np.errstate(divide="ignore"):  # unclamped, as in PyTorch: +-inf where x is 0 or 1
            return grad * self.weight * (np.log1p(-x) - np.log(x))  # dl/dy = -w (log x - log(1 - x))


class BinaryCrossEntropyWithLogitsFunction(_ElementwiseLossFunction):
    """l = w ((1 - y) softplus(x) + p y softplus(-x)) = w ((1 + (p - 1) y) softplus(x) - p y x),
    which is -w (p y log sigma(x) + (1 - y) log(1 - sigma(x))) without overflow; p = pos_weight."""

    def losses(self, input, target, *, weight, pos_weight):
        self.input, self.target, self.weight, self.pos_weight = input, target, weight, pos_weight
        self.softplus = _softplus(input)
        self.log_weight = 1 + (pos_weight - 1) * target
        return weight * (self.log_weight * self.softplus - pos_weight * target * input)

    def input_grad(self, grad):
        # dl/dx = w ((1 + (p - 1) y) sigma(x) - p y)
        return grad * self.weight * (self.log_weight * _sigmoid(self.input) - self.pos_weight * self.target)

    def target_grad(self, grad):
        # dl/dy = w ((p - 1) softplus(x) - p x)
        return grad * self.weight * ((self.pos_weight - 1) * self.softplus - self.pos_weight * self.input)


class KLDivFunction(_ElementwiseLossFunction):
    """l = y (log y - x) for log-probabilities x (0 where y = 0); with log_target, y = e^t."""

    def losses(self, input, target, *, log_target):
        self.input, self.target, self.log_target = input, target, log_target
        if log_target:
            self.target_prob = np.exp(target)
            return self.target_prob * (target - input)
        self.target_prob = target
        with np.errstate(divide="ignore", invalid="ignore"):
            self.log_y = np.log(target)
            return np.where(target > 0, target * self.log_y, 0) - target * input

    def input_grad(self, grad):
        return -grad * self.target_prob  # dl/dx = -y

    def target_grad(self, grad):
        if self.log_target:
            return grad * self.target_prob * (self.target - self.input + 1)  # dl/dt = e^t (t - x + 1)
        return grad * (self.log_y + 1 - self.input)  # dl/dy = log y + 1 - x


# --------------------------------------------------------------- losses over classes
def _class_rows(x):
    """Scores of shape (N, C, d1, ...) as rows of C classes, shape (N*d1*..., C); (C,) is one row."""
    if x.ndim <= 2:
        return x.reshape(-1, x.shape[-1])
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _from_class_rows(rows, shape):
    """Rows of C classes back to `shape`, the class dim at 1: the inverse of _class_rows."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    return np.moveaxis(rows.reshape(shape[:1] + shape[2:] + shape[1:2]), -1, 1)


def _loss_shape(shape):
    """One loss per row: the input's shape without its class dim."""
    return shape[:1] + shape[2:] if len(shape) > 1 else ()


def _class_labels(target, ignore_index, class_weight):
    """Each row's label (0, a valid class, where ignored), whether it counts, and its weight w[label] (0 if ignored)."""
    labels = target.reshape(-1)
    counted = labels != ignore_index
    labels = np.where(counted, labels, 0)
    return labels, counted, class_weight[labels] * counted


class _ClassLossFunction(Function):
    """A loss over the classes (dim 1) of input (N, C, d1, ...): one loss per row of C scores,
    then reduced.

    Subclasses define row_losses(rows, target, **options), which also sets self.divisor (the
    'mean' denominator), rows_grad(row_grad) -> the gradient of the (rows, C) scores and, when
    the target can require grad, target_rows_grad(row_grad).
    """

    def forward(self, input, target, *, reduction, **options):
        self.input_shape, self.reduction = input.shape, reduction
        losses = self.row_losses(_class_rows(input), target, **options)
        return _reduce(losses.reshape(_loss_shape(input.shape)), reduction, self.divisor)

    def backward(self, grad):
        row_grad = _unreduce(grad, _loss_shape(self.input_shape), self.reduction, self.divisor).reshape(-1)
        grad_input = grad_target = None
        if self.needs_input_grad[0]:
            grad_input = _from_class_rows(self.rows_grad(row_grad), self.input_shape)
        if self.needs_input_grad[1]:
            grad_target = _from_class_rows(self.target_rows_grad(row_grad), self.input_shape)
        return grad_input, grad_target


class NLLLossFunction(_ClassLossFunction):
    """loss_i = -w[t_i] x[i, t_i] on log-probabilities x."""

    def row_losses(self, rows, target, *, weight, ignore_index):
        self.n_classes = rows.shape[1]
        self.labels, _, self.label_weight = _class_labels(target, ignore_index, weight)
        self.divisor = self.label_weight.sum()
        return -self.label_weight * rows[np.arange(len(rows)), self.labels]

    def rows_grad(self, row_grad):
        grad = np.zeros((len(self.labels), self.n_classes), row_grad.dtype)
        grad[np.arange(len(grad)), self.labels] = -self.label_weight * row_grad  # dloss_i/dx[i, t_i] = -w[t_i]
        return grad


class CrossEntropyFunction(_ClassLossFunction):
    """log_softmax + nll_loss in one step, for class-index targets, with label smoothing eps.

    Row i's target weights are q_i = (1 - eps) w[t_i] onehot(t_i) + (eps / C) w (0 if ignored):
    loss_i = -sum_c q_ic log p_ic and dloss_i/dz_i = p_i sum_c q_ic - q_i, with p = softmax(z).
    q is never built: it is a one-hot part and, with smoothing, a part spread over all classes.
    Textbook twin: npgrad.textbook.SoftmaxCrossEntropyFunction (p - onehot(t), no options).
    """

    def row_losses(self, rows, target, *, weight, ignore_index, label_smoothing):
        shifted, exp, total = _softmax_parts(rows, axis=1)
        self.probs, log_total = exp / total, np.log(total[:, 0])  # log p = shifted - log_total
        self.labels, counted, label_weight = _class_labels(target, ignore_index, weight)
        self.on_label = (1 - label_smoothing) * label_weight  # q at the target class
        self.spread = counted.astype(rows.dtype) * (label_smoothing / rows.shape[1])  # q_ic = spread_i w_c
        self.weight, self.smoothing, self.divisor = weight, label_smoothing, label_weight.sum()
        losses = self.on_label * (log_total - shifted[np.arange(len(rows)), self.labels])
        if label_smoothing:
            losses += self.spread * (weight.sum() * log_total - shifted @ weight)
        return losses

    def rows_grad(self, row_grad):
        # dloss_i/dz_i = p_i sum_c q_ic - q_i, with q's one-hot and spread parts taken apart
        q_total = self.on_label + self.spread * self.weight.sum()
        grad = self.probs * (q_total * row_grad)[:, None]
        grad[np.arange(len(grad)), self.labels] -= self.on_label * row_grad
        if self.smoothing:
            grad -= np.outer(self.spread * row_grad, self.weight)
        return grad


class CrossEntropyWithProbabilitiesFunction(_ClassLossFunction):
    """cross_entropy for class-probability targets y: q = w ((1 - eps) y + eps / C), then the
    same rule as CrossEntropyFunction; 'mean' divides by the number of rows."""

    def row_losses(self, rows, target, *, weight, label_smoothing):
        shifted, exp, total = _softmax_parts(rows, axis=1)
        self.probs, self.log_probs = exp / total, shifted - np.log(total)
        self.target_scale = (1 - label_smoothing) * weight  # dq/dy
        self.q = weight * ((1 - label_smoothing) * _class_rows(target) + label_smoothing / rows.shape[1])
        self.divisor = len(rows)
        return -(self.q * self.log_probs).sum(axis=1)

    def rows_grad(self, row_grad):
        # dloss_i/dz_i = p_i sum_c q_ic - q_i
        return (self.probs * self.q.sum(axis=1, keepdims=True) - self.q) * row_grad[:, None]

    def target_rows_grad(self, row_grad):
        return -self.target_scale * self.log_probs * row_grad[:, None]  # dloss_i/dy_ic = -(1 - eps) w_c log p_ic


# --------------------------------------------------------------------------- checks
def _check_reduction(name, reduction, allowed=REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {', '.join(map(repr, allowed))}, got {reduction!r}")


def _as_target(name, input, target):
    """target as a tensor of input's shape and floating type (a gradient still flows to it)."""
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: input has shape {tuple(input.shape)} but target has shape "
            f"{tuple(target.shape)}; they must be the same"
        )
    return cast(target, input.dtype)


def _broadcast_weight(name, arg, weight, input):
    """An optional weight as an array of input's dtype that broadcasts to input's shape (1.0 if None)."""
    if weight is None:
        return 1.0
    weight = np.asarray(getattr(weight, "data", weight), dtype=input.dtype)
    try:
        fits = np.broadcast_shapes(weight.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: {arg} of shape {weight.shape} does not broadcast to the input's shape {input.shape}")
    return weight


def _class_weight(name, weight, n_classes, dtype):
    """Per-class weights as an array of shape (C,) and the input's dtype (ones if None)."""
    if weight is None:
        return np.ones(n_classes, dtype)
    weight = np.asarray(getattr(weight, "data", weight), dtype=dtype)
    if weight.shape != (n_classes,):
        raise ValueError(f"{name}: weight must have one value per class, shape ({n_classes},), got {weight.shape}")
    return weight


def _check_class_input(name, input, reduction):
    _check_reduction(name, reduction)
    _check_floating(name, input)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    return input.shape[1] if input.ndim > 1 else input.shape[0]


def _check_labels(name, input, labels, n_classes, ignore_index):
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold class indices (an integer tensor), got {labels.dtype}")
    expected = _loss_shape(input.shape)
    if labels.shape != expected:
        if labels.ndim and expected and labels.shape[0] != expected[0]:
            raise ValueError(f"{name}: input has {expected[0]} rows but target has {labels.shape[0]}")
        raise ValueError(
            f"{name}: target has shape {labels.shape}, expected {expected} for input of shape "
            f"{tuple(input.shape)} (the input's shape without the class dim 1)"
        )
    wrong = labels[(labels != ignore_index) & ((labels < 0) | (labels >= n_classes))]
    if wrong.size:
        raise ValueError(f"{name}: target class {wrong[0]} is out of range for {n_classes} classes")


# --------------------------------------------------------------------------- public API
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(input - target)^2, reduced."""
    _check_reduction("mse_loss", reduction)
    _check_floating("mse_loss", input)
    return MSELossFunction.apply(input, _as_target("mse_loss", input, target), reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """|input - target|, reduced."""
    _check_reduction("l1_loss", reduction)
    _check_floating("l1_loss", input)
    return L1LossFunction.apply(input, _as_target("l1_loss", input, target), reduction=reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 (input - target)^2 / beta where |input - target| < beta, |input - target| - 0.5 beta
    elsewhere, reduced; beta=0 is l1_loss."""
    _check_reduction("smooth_l1_loss", reduction)
    _check_floating("smooth_l1_loss", input)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    return SmoothL1LossFunction.apply(
        input, _as_target("smooth_l1_loss", input, target), reduction=reduction, beta=float(beta)
    )


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 (input - target)^2 where |input - target| < delta, delta (|input - target| - 0.5 delta)
    elsewhere, reduced: delta times smooth_l1_loss with beta = delta."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    return smooth_l1_loss(input, target, reduction, beta=delta) * delta


def _reduced(name, losses, reduction):
    """A loss built from other ops, reduced as the losses here are."""
    _check_reduction(name, reduction)
    return losses if reduction == "none" else losses.sum() if reduction == "sum" else losses.mean()


def margin_ranking_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """max(0, -target (input1 - input2) + margin), reduced; target is 1 where input1 should rank
    higher, -1 where input2 should."""
    from .elementwise import clamp

    return _reduced("margin_ranking_loss", clamp(-target * (input1 - input2) + margin, min=0), reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0), reduced, with d = pairwise_distance: the anchor
    closer to the positive than to the negative by margin. swap takes d(p, n) for d(a, n) when
    it is smaller."""
    from .elementwise import clamp, minimum

    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = minimum(to_negative, pairwise_distance(positive, negative, p, eps))
    losses = clamp(margin + pairwise_distance(anchor, positive, p, eps) - to_negative, min=0)
    return _reduced("triplet_margin_loss", losses, reduction)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (eps keeps the gradient finite where x1 = x2)."""
    from .reduction import vector_norm

    return vector_norm(x1 - x2 + eps, p, -1, keepdim)


def cosine_embedding_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1, reduced;
    cos along the last dim, each squared norm plus 1e-12, as torch's."""
    from .elementwise import clamp, sqrt, where

    squared_norms = ((input1 * input1).sum(-1) + 1e-12) * ((input2 * input2).sum(-1) + 1e-12)
    cos = (input1 * input2).sum(-1) / sqrt(squared_norms)
    labels = getattr(target, "_data", np.asarray(target))
    losses = where(labels == 1, 1 - cos, 0.0) + where(labels == -1, clamp(cos - margin, min=0), 0.0)
    return _reduced("cosine_embedding_loss", losses, reduction)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between softmax(input) over dim 1 and the target.

    input: unnormalised scores (N, C), (N, C, d1, ...) or (C,). target: class indices (integer,
    the input's shape without dim 1; entries equal to ignore_index are skipped) or class
    probabilities (floating, the input's shape). weight: one rescaling weight per class.
    label_smoothing eps mixes the target with the uniform distribution: (1 - eps) y + eps / C.
    """
    n_classes = _check_class_input("cross_entropy", input, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    weight = _class_weight("cross_entropy", weight, n_classes, input.dtype)
    labels = target._data if isinstance(target, Tensor) else np.asarray(target)
    if labels.dtype.kind == "f":
        return CrossEntropyWithProbabilitiesFunction.apply(
            input,
            _as_target("cross_entropy", input, target),
            weight=weight,
            reduction=reduction,
            label_smoothing=float(label_smoothing),
        )
    _check_labels("cross_entropy", input, labels, n_classes, ignore_index)
    return CrossEntropyFunction.apply(
        input,
        labels,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=float(label_smoothing),
    )


def nll_loss(
    input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood of the target classes, for log-probabilities input (N, C, d1, ...)."""
    n_classes = _check_class_input("nll_loss", input, reduction)
    labels = target._data if isinstance(target, Tensor) else np.asarray(target)
    _check_labels("nll_loss", input, labels, n_classes, ignore_index)
    return NLLLossFunction.apply(
        input,
        labels,
        weight=_class_weight("nll_loss", weight, n_classes, input.dtype),
        ignore_index=ignore_index,
        reduction=reduction,
    )


def _check_probabilities(name, what, values, advice=""):
    """PyTorch's check: every element in [0, 1] (NaN is not)."""
    values = values._data
    if values.size and not (values.min() >= 0 and values.max() <= 1):  # min/max propagate NaN
        raise ValueError(
            f"{name}: {what} must hold probabilities in [0, 1], got values from "
            f"{values.min()} to {values.max()}{advice}"
        )


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1]; each log is clamped to >= -100."""
    name = "binary_cross_entropy"
    _check_reduction(name, reduction)
    _check_floating(name, input)
    target = _as_target(name, input, target)
    _check_probabilities(name, "input", input, " (for raw scores use binary_cross_entropy_with_logits)")
    _check_probabilities(name, "target", target)
    return BinaryCrossEntropyFunction.apply(
        input, target, reduction=reduction, weight=_broadcast_weight(name, "weight", weight, input)
    )


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), computed stably from the logits; pos_weight
    (broadcast along the last dim, one per class) multiplies the loss of the positive targets."""
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    _check_floating(name, input)
    return BinaryCrossEntropyWithLogitsFunction.apply(
        input,
        _as_target(name, input, target),
        reduction=reduction,
        weight=_broadcast_weight(name, "weight", weight, input),
        pos_weight=_broadcast_weight(name, "pos_weight", pos_weight, input),
    )


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) summed element-wise: target (log target - input), input being
    log-probabilities. reduction='batchmean' divides by the batch size (the mathematical KL);
    'mean' divides by the number of elements."""
    _check_reduction("kl_div", reduction, REDUCTIONS + ("batchmean",))
    _check_floating("kl_div", input)
    return KLDivFunction.apply(input, _as_target("kl_div", input, target), reduction=reduction, log_target=log_target)
