"""Tensor's operators and op methods: x + y, x[i], x.sum(), x.float(), x.add_(y) ...

npgrad/__init__.py calls install(Tensor) once this module and npgrad.tensor are both imported:
tensor.py holds the storage, the autograd state and the conversions that need no op, and imports
no op module, so the ops (which take and return Tensors) can import it without a cycle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import autograd, dtypes, random
from . import devices as _devices
from .functional import activation, elementwise, indexing, linalg, reduction, shape
from .tensor import Tensor, _plain_index
from .types import ArrayLike, Number, _bool, _device, _dtype, _int

# x.name(*args) is module.name(x, *args) for every name here.
METHODS = {
    elementwise: "add sub mul div pow neg exp log sqrt abs sin cos square clamp clip maximum minimum sign "
    "eq ne lt le gt ge logical_and logical_or logical_not isnan isfinite isinf isclose log1p expm1 reciprocal rsqrt",
    reduction: "sum mean max min amax amin var std norm logsumexp argmax argmin all any sort argsort topk cumsum "
    "unique bincount nonzero count_nonzero prod",
    shape: "reshape view flatten squeeze unsqueeze permute transpose expand expand_as narrow "
    "split chunk unbind masked_fill gather index_select repeat scatter scatter_add tril triu "
    "flip roll tile movedim swapaxes",
    random: "multinomial bernoulli",
    linalg: "matmul bmm mm mv dot outer",
    indexing: "diag",
    activation: "relu sigmoid tanh softmax log_softmax",
}


def install(cls: type[Tensor]) -> None:
    """Give cls (Tensor) the methods of METHODS and those of TensorMethods."""
    for module, names in METHODS.items():
        for name in names.split():
            setattr(cls, name, getattr(module, name))
    for name, value in vars(TensorMethods).items():
        if callable(value):  # the methods, operators included; not __doc__ or __module__
            setattr(cls, name, value)


class TensorMethods:
    """The methods of Tensor that apply an op; install() copies them onto Tensor."""

    # -- casts -----------------------------------------------------------------------------
    def to(
        self,
        *args: Any,
        dtype: _dtype | None = None,
        device: _device | None = None,
        non_blocking: _bool = False,
        copy: _bool = False,
    ) -> Tensor:
        """PyTorch's forms: to(dtype), to(device), to(device, dtype), to(other_tensor).
        Casts are differentiable between floating types; the only device is the CPU."""
        dtype = _devices.dtype_of_to_call(args, dtype, device)
        return elementwise.cast(self, self._data.dtype if dtype is None else dtype, copy=copy)

    def type(self, dtype: _dtype | None = None) -> str | Tensor:
        """The dtype's name without an argument, else a cast (as torch.Tensor.type)."""
        if dtype is None:
            return f"npgrad.{self._data.dtype}"
        return elementwise.cast(self, dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return elementwise.cast(self, other.dtype)

    def float(self) -> Tensor:
        return elementwise.cast(self, np.float32)

    def double(self) -> Tensor:
        return elementwise.cast(self, np.float64)

    def long(self) -> Tensor:
        return elementwise.cast(self, np.int64)

    def int(self) -> Tensor:
        return elementwise.cast(self, np.int32)

    def bool(self) -> Tensor:
        return elementwise.cast(self, np.bool_)

    def clone(self) -> Tensor:
        return elementwise.cast(self, self._data.dtype, copy=True)

    # -- in-place updates ------------------------------------------------------------------
    # Outside the graph an in-place op writes into the array and counts a new version. In the
    # graph (this tensor or the operand requires grad, grad mode on) it is recorded as
    # PyTorch records it: the out-of-place op's result takes this tensor's place, so graphs
    # that saved the old values keep them. A leaf that requires grad is refused, as in PyTorch.
    def _in_graph(self, *operands):
        return autograd.is_grad_enabled() and (
            self._requires_grad or any(getattr(o, "_requires_grad", False) for o in operands)
        )

    def _inplace(self, graph_op, *operands):
        """Apply graph_op(self, *operands) in place; returns self."""
        if not self._in_graph(*operands):
            with autograd.no_grad():
                return self._write(self._same_dtype(graph_op(self.detach(), *operands))._data)
        if self._ctx is None and self._requires_grad:
            raise RuntimeError(
                "a leaf tensor that requires grad is used in an in-place operation; "
                "wrap the update in `with npgrad.no_grad():`"
            )
        result = self._same_dtype(graph_op(self._alias(), *operands))
        self._data, self._ctx, self._out_index = result._data, result._ctx, result._out_index
        self._requires_grad = result._requires_grad
        return self

    def _same_dtype(self, result):
        """An in-place result keeps this tensor's dtype; a result of a higher category (a float
        result written into an integer tensor) is refused, as in PyTorch."""
        if result.dtype == self._data.dtype:
            return result
        if dtypes.category(result.dtype) > dtypes.category(self._data.dtype):
            raise RuntimeError(
                f"result type {result.dtype} can't be cast to the desired output "
                f"type {self._data.dtype} of an in-place operation"
            )
        return elementwise.cast(result, self._data.dtype)

    def _alias(self):
        """A second handle on this tensor's current value and place in the graph."""
        alias = Tensor._from_op(self._data, self._ctx, self._out_index)
        alias._requires_grad, alias._versions = self._requires_grad, self._versions
        return alias

    def add_(self, other: Tensor | Number, alpha: Number = 1) -> Tensor:
        return self._inplace(lambda x, y: elementwise.add(x, y, alpha=alpha), other)

    def sub_(self, other: Tensor | Number, alpha: Number = 1) -> Tensor:
        return self.add_(other, -alpha)

    def mul_(self, other: Tensor | Number) -> Tensor:
        return self._inplace(elementwise.mul, other)

    def div_(self, other: Tensor | Number) -> Tensor:
        return self._inplace(elementwise.div, other)

    def clamp_(self, min: Number | None = None, max: Number | None = None) -> Tensor:
        return self._inplace(lambda x: elementwise.clamp(x, min, max))

    def relu_(self) -> Tensor:
        return self._inplace(activation.relu)

    def masked_fill_(self, mask: Tensor, value: Number | Tensor) -> Tensor:
        return self._inplace(lambda x: shape.masked_fill(x, mask, value))

    def scatter_(
        self,
        dim: _int,
        index: Tensor,
        src: Tensor | Number | None = None,
        value: Number | None = None,
        *,
        reduce: str | None = None,
    ) -> Tensor:
        if isinstance(src, Tensor):
            return self._inplace(lambda x, s: shape.scatter(x, dim, index, s, reduce=reduce), src)
        return self._inplace(lambda x: shape.scatter(x, dim, index, src, value, reduce=reduce))

    def scatter_add_(self, dim: _int, index: Tensor, src: Tensor) -> Tensor:
        return self._inplace(lambda x, s: shape.scatter_add(x, dim, index, s), src)

    def index_fill_(self, dim: _int, index: Tensor | ArrayLike, value: Number | Tensor) -> Tensor:
        """self[..., index, ...] = value along dim (index: a 1-D int64 tensor)."""
        index = index._data if isinstance(index, Tensor) else np.asarray(index)
        if index.ndim > 1 or index.dtype.kind not in "iu":
            raise IndexError(
                f"index_fill_: index must be a 1-D integer tensor, got {index.dtype} of shape {index.shape}"
            )
        axis = dim + self.ndim if dim < 0 else dim
        if not 0 <= axis < max(self.ndim, 1):
            raise IndexError(f"index_fill_: dim {dim} is out of range for a {self.ndim}-D tensor")
        self[(slice(None),) * axis + (index.reshape(-1),)] = value
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Number | Tensor) -> Tensor:
        if not self._in_graph(value):
            return self._write(getattr(value, "_data", value))
        return self._inplace(lambda x, v: elementwise.where(True, v, x), _as_operand(value, self))

    def copy_(self, source: Tensor | ArrayLike) -> Tensor:
        source = source if isinstance(source, Tensor) else Tensor(np.asarray(source))
        return self._inplace(
            lambda x, v: elementwise.where(True, elementwise.cast(v, x.dtype), x),
            source.expand(*self.shape) if source.shape != self.shape else source,
        )

    def __setitem__(self, index: Any, value: Tensor | ArrayLike) -> None:
        index = _plain_index(index)
        self._inplace(lambda x, v: indexing.index_put(x, index, v), _as_operand(value, self))

    def __iadd__(self, other: Tensor | Number) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Tensor | Number) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Tensor | Number) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Tensor | Number) -> Tensor:
        return self.div_(other)

    # -- operators -----------------------------------------------------------------------
    def __add__(self, other: Tensor | Number) -> Tensor:
        return elementwise.add(self, other)

    def __radd__(self, other: Tensor | Number) -> Tensor:
        return elementwise.add(other, self)

    def __sub__(self, other: Tensor | Number) -> Tensor:
        return elementwise.sub(self, other)

    def __rsub__(self, other: Tensor | Number) -> Tensor:
        return elementwise.sub(other, self)

    def __mul__(self, other: Tensor | Number) -> Tensor:
        return elementwise.mul(self, other)

    def __rmul__(self, other: Tensor | Number) -> Tensor:
        return elementwise.mul(other, self)

    def __truediv__(self, other: Tensor | Number) -> Tensor:
        return elementwise.div(self, other)

    def __rtruediv__(self, other: Tensor | Number) -> Tensor:
        return elementwise.div(other, self)

    def __pow__(self, other: Tensor | Number) -> Tensor:
        return elementwise.pow(self, other)

    def __rpow__(self, other: Tensor | Number) -> Tensor:
        return elementwise.pow(other, self)

    def __neg__(self) -> Tensor:
        return elementwise.neg(self)

    def __abs__(self) -> Tensor:
        return elementwise.abs(self)

    def __matmul__(self, other: Tensor) -> Tensor:
        return linalg.matmul(self, other)

    def __rmatmul__(self, other: Tensor | ArrayLike) -> Tensor:
        return linalg.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return shape.index(self, index)

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return elementwise.eq(self, other)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return elementwise.ne(self, other)

    def __lt__(self, other: Tensor | Number) -> Tensor:
        return elementwise.lt(self, other)

    def __le__(self, other: Tensor | Number) -> Tensor:
        return elementwise.le(self, other)

    def __gt__(self, other: Tensor | Number) -> Tensor:
        return elementwise.gt(self, other)

    def __ge__(self, other: Tensor | Number) -> Tensor:
        return elementwise.ge(self, other)

    def __invert__(self) -> Tensor:
        return elementwise.logical_not(self)

    def __and__(self, other: Tensor | Number) -> Tensor:
        return elementwise.logical_and(self, other)

    def __or__(self, other: Tensor | Number) -> Tensor:
        return elementwise.logical_or(self, other)

    def view_as(self, other: Tensor) -> Tensor:
        return shape.reshape(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return shape.reshape(self, other.shape)


def _as_operand(value, like):
    """A value written into `like` in place, as a tensor of like's dtype (kept in the graph)."""
    if isinstance(value, Tensor):
        return value if value.dtype == like.dtype else elementwise.cast(value, like.dtype)
    return Tensor(np.asarray(value, dtype=like.dtype))
