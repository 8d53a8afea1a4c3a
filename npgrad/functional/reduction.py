"""Reductions over dims: sum, mean, max/min, var/std, logsumexp, argmax/argmin; along a dim:
sort, argsort, topk, cumsum."""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ..types import _dtype, _int_or_size
from ._util import axes, normalize_dim
from .shape import GatherFunction

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])  # max(dim), sort, topk


def _keep_dims(grad, ndim, axis, keepdim):
    """A reduced gradient with the reduced axes back, of size 1 (as keepdim=True gives it)."""
    if keepdim:
        return grad
    if axis is None:
        return grad.reshape((1,) * ndim)
    return np.expand_dims(grad, axis)


def _expand_back(grad, shape, axis, keepdim):
    """Broadcast a reduced gradient back over the reduced axes (a read-only view)."""
    return np.broadcast_to(_keep_dims(grad, len(shape), axis, keepdim), shape)


def _count(shape, axis):
    if axis is None:
        return math.prod(shape)
    axis = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(shape[a] for a in axis)


class SumFunction(Function):
    def forward(self, x, *, axis, keepdim):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        return np.sum(x, axis=axis, keepdims=keepdim)

    def backward(self, grad):
        return _expand_back(grad, self.shape, self.axis, self.keepdim)


class MeanFunction(Function):
    def forward(self, x, *, axis, keepdim):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        if _count(x.shape, axis) == 0:  # the mean of nothing is NaN, as in PyTorch (NumPy warns)
            return np.full_like(np.sum(x, axis=axis, keepdims=keepdim), np.nan)
        return np.mean(x, axis=axis, keepdims=keepdim)

    def backward(self, grad):
        count = _count(self.shape, self.axis)
        return _expand_back(grad / count if count else grad, self.shape, self.axis, self.keepdim)


class ExtremumFunction(Function):
    """amax/amin over `axis` (None: all of it), and max()/min() without a dim: the gradient is
    shared evenly among the elements equal to the result (ties), as PyTorch does. With
    nan_ties (max()/min()), a NaN result shares it among the NaNs; amax/amin give NaN there."""

    def forward(self, x, *, axis, keepdim, pick, nan_ties=False):
        self.axis, self.keepdim = axis, keepdim
        out = pick(x, axis=axis, keepdims=True)
        self.winners = np.isnan(x) if nan_ties and np.isnan(out) else x == out
        # the usual case, one winner for every result, takes a single count over the mask
        self.unique = np.count_nonzero(self.winners) == out.size and not np.isnan(out).any()
        if keepdim:
            return out
        return out.reshape(()) if axis is None else out.squeeze(axis)

    def backward(self, grad):
        grad = _keep_dims(grad, self.winners.ndim, self.axis, self.keepdim)
        if self.unique:  # dL/dx = dL/dy at the one element equal to y, 0 elsewhere
            grad_x = np.zeros(self.winners.shape, grad.dtype)
            np.copyto(grad_x, grad, where=self.winners)
            return grad_x
        count = np.count_nonzero(self.winners, axis=self.axis, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):  # no winner: a NaN result, NaN gradient
            return grad / count.astype(grad.dtype) * self.winners  # dL/dy / (number of ties) at each


class ExtremumDimFunction(Function):
    """max(dim)/min(dim): values; the gradient goes to the returned index."""

    def forward(self, x, *, axis, keepdim, arg):
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        self.indices = np.expand_dims(arg(x, axis=axis), axis)
        values = np.take_along_axis(x, self.indices, axis=axis)
        return values if keepdim else values.squeeze(axis)

    def backward(self, grad):
        out = np.zeros(self.shape, grad.dtype)
        grad = grad if self.keepdim else np.expand_dims(grad, self.axis)
        np.put_along_axis(out, self.indices, grad, axis=self.axis)
        return out


class VarFunction(Function):
    def forward(self, x, *, axis, correction, keepdim):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        self.mean = np.mean(x, axis=axis, keepdims=True)
        self.denominator = builtins.max(_count(x.shape, axis) - correction, 0)
        centered = x - self.mean
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(centered * centered, axis=axis, keepdims=keepdim) / x.dtype.type(self.denominator)

    def backward(self, grad):
        grad = _expand_back(grad, self.x.shape, self.axis, self.keepdim)
        scale = 2.0 / self.denominator if self.denominator else float("inf")
        with np.errstate(invalid="ignore"):  # N - c <= 0: a NaN variance, NaN gradients (as PyTorch)
            return grad * (self.x - self.mean) * scale  # dvar/dx = 2 (x - mean) / (N - c)


class StdFunction(VarFunction):
    """sqrt(var): d std/d var = 1 / (2 std), taken as 0 where std = 0 (no spread), as PyTorch."""

    def forward(self, x, **options):
        self.out = np.sqrt(super().forward(x, **options))
        return self.out

    def backward(self, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = np.where(self.out == 0, 0, grad / (2 * self.out))
        return super().backward(grad)


class LogSumExpFunction(Function):
    def forward(self, x, *, axis, keepdim):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        peak = np.max(x, axis=axis, keepdims=True, initial=-np.inf)  # -inf: an empty sum's log
        peak = np.where(np.isfinite(peak), peak, 0)
        with np.errstate(divide="ignore"):
            self.out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
        return self.out if keepdim else np.squeeze(self.out, axis)

    def backward(self, grad):
        grad = grad if self.keepdim else np.expand_dims(grad, self.axis)
        return grad * np.exp(self.x - self.out)  # d lse/dx = softmax(x)


class VectorNormFunction(Function):
    """(sum |x|^p)^(1/p) over `axis`; p = inf / -inf is max / min |x|, p = 0 counts non-zeros.
    Gradients as PyTorch defines them where the formula divides by zero: 0 for a zero norm."""

    def forward(self, x, *, ord, axis, keepdim):
        self.x, self.ord, self.axis, self.keepdim = x, ord, axis, keepdim
        if ord == 2:
            self.out = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
        elif ord == 1:
            self.out = np.sum(np.abs(x), axis=axis, keepdims=True)
        elif np.isinf(ord):
            magnitude = np.abs(x)
            self.out = (np.max if ord > 0 else np.min)(magnitude, axis=axis, keepdims=True)
            self.winners = magnitude == self.out
        elif ord == 0:
            self.out = np.count_nonzero(x, axis=axis, keepdims=True).astype(x.dtype)
        else:
            with np.errstate(divide="ignore"):  # ord < 0 and a zero: |0|^ord = inf, and the norm 0
                self.out = np.sum(np.abs(x) ** ord, axis=axis, keepdims=True) ** (1 / ord)
        if keepdim:
            return self.out
        return self.out.reshape(()) if axis is None else self.out.squeeze(axis)

    def backward(self, grad):
        x, p, norm = self.x, self.ord, self.out
        grad = _keep_dims(grad, x.ndim, self.axis, self.keepdim)
        if p == 0:
            return np.zeros_like(x)
        if p == 1:
            return np.sign(x) * grad  # d|x|/dx = sign(x)
        if np.isinf(p):  # the gradient of max |x|: shared among the ties, with their signs
            count = np.count_nonzero(self.winners, axis=self.axis, keepdims=True).astype(grad.dtype)
            return np.sign(x) * self.winners * (grad / count)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:  # d||x||/dx = x / ||x||
                return x * np.where(norm == 0, 0, grad / norm)
            # d||x||_p/dx = sign(x) |x|^(p-1) / ||x||^(p-1), taken as 0 at x = 0 and at a zero norm
            direction = np.where(x == 0, 0, np.sign(x) * np.abs(x) ** (p - 1))
            return direction * np.where(norm == 0, 0, grad * norm ** (1 - p))


# --------------------------------------------------------------------------- public API
def sum(x: Tensor, dim: _int_or_size | None = None, keepdim: bool = False, dtype: _dtype | None = None) -> Tensor:
    if x.dtype.kind in "iub" and dtype is None:
        return Tensor(np.sum(x._data, axis=axes(dim, x.ndim), keepdims=keepdim, dtype=np.int64))
    x = x if dtype is None else x.to(dtype)
    return SumFunction.apply(x, axis=axes(dim, x.ndim), keepdim=keepdim)


def mean(x: Tensor, dim: _int_or_size | None = None, keepdim: bool = False) -> Tensor:
    if x.dtype.kind != "f":
        raise TypeError(f"mean: expected a floating tensor, got {x.dtype}; convert it with .float()")
    return MeanFunction.apply(x, axis=axes(dim, x.ndim), keepdim=keepdim)


def _check_reducible(where, x, axis):
    """PyTorch's errors for a max or min over nothing, instead of NumPy's; `where` names the call."""
    if axis is None and x.numel() == 0:
        raise ValueError(
            f"{where}: cannot reduce an empty tensor of shape {tuple(x.shape)} over all "
            "its elements; give a dim whose size is not zero"
        )
    for a in axis if isinstance(axis, tuple) else () if axis is None else (axis,):
        if x.shape[a] == 0:
            raise IndexError(
                f"{where}: expected reduction dim {a} to have non-zero size, got a tensor of shape {tuple(x.shape)}"
            )


def _extremum(name, x, dim, keepdim, pick, arg):
    """max/min: over everything (ties share the gradient), or (values, indices) along dim."""
    axis = axes(dim, x.ndim)
    _check_reducible(f"{name}()", x, axis)
    if dim is None:
        return ExtremumFunction.apply(x, axis=None, keepdim=False, pick=pick, nan_ties=True)
    values = ExtremumDimFunction.apply(x, axis=axis, keepdim=keepdim, arg=arg)
    return ValuesIndices(values, argmax(x, dim, keepdim) if arg is np.argmax else argmin(x, dim, keepdim))


def max(x: Tensor, dim: int | Tensor | None = None, keepdim: bool = False) -> Tensor | ValuesIndices:
    """max(x) is the largest element; max(x, dim) gives (values, indices) along dim."""
    if not isinstance(dim, (int, type(None))):  # max(a, b) is the element-wise maximum
        from .elementwise import maximum

        return maximum(x, dim)
    return _extremum("max", x, dim, keepdim, np.max, np.argmax)


def min(x: Tensor, dim: int | Tensor | None = None, keepdim: bool = False) -> Tensor | ValuesIndices:
    if not isinstance(dim, (int, type(None))):
        from .elementwise import minimum

        return minimum(x, dim)
    return _extremum("min", x, dim, keepdim, np.min, np.argmin)


def _shared_extremum(name, x, dim, keepdim, pick):
    axis = None if dim in ((), []) else axes(dim, x.ndim)  # dim=() is every dim, as in PyTorch
    _check_reducible(f"{name}()", x, axis)
    return ExtremumFunction.apply(x, axis=axis, keepdim=keepdim, pick=pick)


def amax(x: Tensor, dim: _int_or_size | None = None, keepdim: bool = False) -> Tensor:
    """The largest values over dim (an int, a tuple, or None for all); ties share the gradient."""
    return _shared_extremum("amax", x, dim, keepdim, np.max)


def amin(x: Tensor, dim: _int_or_size | None = None, keepdim: bool = False) -> Tensor:
    return _shared_extremum("amin", x, dim, keepdim, np.min)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(
    x: Tensor,
    dim: _int_or_size | None = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> Tensor:
    """Variance with Bessel's correction by default (divide by N - 1)."""
    return VarFunction.apply(x, axis=axes(dim, x.ndim), correction=_correction(unbiased, correction), keepdim=keepdim)


def std(
    x: Tensor,
    dim: _int_or_size | None = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> Tensor:
    """sqrt(var); its gradient is 0 where the spread is 0, as in PyTorch."""
    return StdFunction.apply(x, axis=axes(dim, x.ndim), correction=_correction(unbiased, correction), keepdim=keepdim)


def vector_norm(
    x: Tensor, ord: float = 2, dim: _int_or_size | None = None, keepdim: bool = False, *, dtype: _dtype | None = None
) -> Tensor:
    """The p-norm (sum |x|^ord)^(1/ord) over dim (an int, a tuple, or None for all elements);
    ord may be inf (max |x|), -inf (min |x|) or 0 (the number of non-zero elements)."""
    if isinstance(ord, (str, bool)):
        raise ValueError(f"vector_norm: ord must be a number (or inf), got {ord!r}")
    x = x if dtype is None else x.to(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"vector_norm: expected a floating tensor, got {x.dtype}; convert it with .float()")
    axis = None if dim in ((), []) else axes(dim, x.ndim)
    if ord < 0 or ord == math.inf:  # a max or min, with no value for an empty set
        _check_reducible(f"vector_norm(ord={ord})", x, axis)
    return VectorNormFunction.apply(x, ord=float(ord), axis=axis, keepdim=keepdim)


def norm(
    x: Tensor,
    p: float | str | None = "fro",
    dim: _int_or_size | None = None,
    keepdim: bool = False,
    dtype: _dtype | None = None,
) -> Tensor:
    """torch.norm / Tensor.norm: the vector p-norm over dim (all elements by default);
    p='fro' is the 2-norm."""
    if p == "fro":
        p = 2
    elif isinstance(p, str):
        raise ValueError(f"norm: p must be a number, inf or 'fro', got {p!r} (npgrad has no nuclear norm)")
    return vector_norm(x, p, dim, keepdim, dtype=dtype)


def normalize(input: Tensor, p: float = 2.0, dim: _int_or_size = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along dim: unit vectors, a zero vector staying zero."""
    from .elementwise import clamp

    return input / clamp(vector_norm(input, p, dim, keepdim=True), min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 · x2 / (max(||x1||, eps) max(||x2||, eps)) along dim, as torch's: the two are
    broadcast to one shape first, dim counts in that shape and leaves the result."""
    from .shape import expand

    shape = np.broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = expand(x1, shape), expand(x2, shape)
    return (normalize(x1, dim=dim, eps=eps) * normalize(x2, dim=dim, eps=eps)).sum(dim)


def logsumexp(x: Tensor, dim: _int_or_size, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x), dim)), computed without overflow."""
    return LogSumExpFunction.apply(x, axis=axes(dim, x.ndim), keepdim=keepdim)


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor(np.asarray(np.argmax(x._data), dtype=np.int64))
    return Tensor(np.argmax(x._data, axis=axes(dim, x.ndim), keepdims=keepdim).astype(np.int64))


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    if dim is None:
        return Tensor(np.asarray(np.argmin(x._data), dtype=np.int64))
    return Tensor(np.argmin(x._data, axis=axes(dim, x.ndim), keepdims=keepdim).astype(np.int64))


def all(x: Tensor, dim: _int_or_size | None = None) -> Tensor:
    return Tensor(np.all(x._data, axis=axes(dim, x.ndim)))


def any(x: Tensor, dim: _int_or_size | None = None) -> Tensor:
    return Tensor(np.any(x._data, axis=axes(dim, x.ndim)))


class CumSumFunction(Function):
    def forward(self, x, *, axis):
        self.axis = axis
        return np.cumsum(x, axis=axis, dtype=x.dtype)

    def backward(self, grad):  # dL/dx_i = sum_{j >= i} dL/dy_j: a cumulative sum from the end
        flipped = np.flip(grad, self.axis)
        return np.flip(np.cumsum(flipped, axis=self.axis), self.axis)


class ProdFunction(Function):
    """y = the product of x along axis (all of x when axis is None). dL/dx_i = dL/dy times the
    product of the other entries: of those before i times those after i, which stays exact
    where an entry is 0 (y / x_i would divide by it)."""

    def forward(self, x, *, axis, keepdim):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        return np.asarray(np.prod(x, axis=axis, keepdims=keepdim))

    def backward(self, grad):
        if self.axis is None:
            return (grad * _product_of_others(self.x.reshape(-1))).reshape(self.x.shape)
        rows = np.moveaxis(self.x, self.axis, -1)
        grad_rows = np.moveaxis(grad if self.keepdim else np.expand_dims(grad, self.axis), self.axis, -1)
        return np.moveaxis(grad_rows * _product_of_others(rows), -1, self.axis)


def _product_of_others(rows):
    """For each entry along the last axis, the product of the other entries of its row."""
    return _product_before(rows) * _product_before(rows[..., ::-1])[..., ::-1]


def _product_before(rows):
    """1, x_0, x_0 x_1, ...: for each entry, the product of the entries before it."""
    out = np.ones_like(rows)
    np.cumprod(rows[..., :-1], axis=-1, out=out[..., 1:])
    return out


def prod(x: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: _dtype | None = None) -> Tensor:
    """The product of all entries, or of those along dim; integers and booleans multiply as int64."""
    if dtype is None and x.dtype.kind in "biu":
        dtype = np.int64
    if dtype is not None:
        x = x.to(dtype)
    axis = None if dim is None else normalize_dim(dim, x.ndim)
    return ProdFunction.apply(x, axis=axis, keepdim=keepdim)


def cumsum(x: Tensor, dim: int, *, dtype: _dtype | None = None) -> Tensor:
    """y_i = x_0 + ... + x_i along dim; integers and booleans sum as int64, as in PyTorch."""
    if dtype is None and x.dtype.kind in "biu":
        dtype = np.int64
    if dtype is not None:
        x = x.to(dtype)
    return CumSumFunction.apply(x, axis=normalize_dim(dim, x.ndim))


def _sorting_axis(where, x, dim):
    if x.ndim == 0:
        raise ValueError(f"{where}: expected a tensor with at least one dimension, got a 0-d tensor")
    return normalize_dim(dim, x.ndim)


def _argsort(array, axis, descending):
    """Stable sort order; descending keeps equal elements in their original order (and NaN
    first), by sorting the reversed array ascending and reading the result backwards."""
    if not descending:
        return np.argsort(array, axis=axis, kind="stable")
    n = array.shape[axis]
    order = np.argsort(np.flip(array, axis), axis=axis, kind="stable")
    return (n - 1 - np.flip(order, axis)).astype(np.int64)


def argsort(x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices (int64) that sort x along dim; npgrad's sort is always stable."""
    axis = _sorting_axis("argsort", x, dim)
    return Tensor(_argsort(x._data, axis, descending).astype(np.int64))


def sort(x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> ValuesIndices:
    """(values, indices) of x sorted along dim; the gradient goes back to where each came from."""
    axis = _sorting_axis("sort", x, dim)
    indices = _argsort(x._data, axis, descending).astype(np.int64)
    return ValuesIndices(GatherFunction.apply(x, indices, axis=axis), Tensor(indices))


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """(values, indices) of the k largest (or smallest) elements along dim, largest first
    (smallest first with largest=False); the result is always sorted."""
    axis = _sorting_axis("topk", x, dim)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= x.shape[axis]:
        raise ValueError(f"topk: k must be an int in [0, {x.shape[axis]}] (the size of dim {dim}), got {k!r}")
    indices = np.take(_argsort(x._data, axis, largest), np.arange(k), axis=axis).astype(np.int64)
    return ValuesIndices(GatherFunction.apply(x, indices, axis=axis), Tensor(indices))


# counting and finding: integer results, outside the graph
def unique(
    x: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Tensor | tuple[Tensor, ...]:
    """The distinct values of x (or distinct slices along dim), in increasing order; with
    return_inverse also where each entry of x went, with return_counts how often each occurs."""
    result = np.unique(x._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return Tensor(result)
    values, *extras = result
    if return_inverse:  # shaped like x (like dim's length with dim), as torch's
        extras[0] = extras[0].reshape(x.shape if dim is None else -1)
    return (Tensor(values), *(Tensor(e.astype(np.int64)) for e in extras))


def bincount(x: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ..., max(x) occurs in the 1-D int tensor x (each occurrence
    counting weights[i] instead of 1 when weights are given)."""
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise ValueError(f"bincount: expected a 1-D integer tensor, got shape {tuple(x.shape)} of {x.dtype}")
    counts = np.bincount(x._data, None if weights is None else weights._data, minlength)
    return Tensor(counts.astype(np.int64 if weights is None else weights.dtype))


def nonzero(x: Tensor, *, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:
    """The indices of the nonzero entries: an (n, x.ndim) int64 tensor, or one index tensor per dim."""
    indices = np.nonzero(x._data)
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in indices)
    return Tensor(np.stack(indices, axis=1).astype(np.int64).reshape(-1, x.ndim))


def count_nonzero(x: Tensor, dim: _int_or_size | None = None) -> Tensor:
    return Tensor(np.asarray(np.count_nonzero(x._data, axis=dim), dtype=np.int64))
