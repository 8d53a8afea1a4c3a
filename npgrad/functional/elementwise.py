"""Element-wise arithmetic and math, with broadcasting."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ..types import ArrayLike, Number, _dtype
from ._util import tensor_pair, unbroadcast


class AddFunction(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad):
        return unbroadcast(grad, self.shapes[0]), unbroadcast(grad, self.shapes[1])


class SubFunction(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, grad):
        grad_b = -unbroadcast(grad, self.shapes[1]) if self.needs_input_grad[1] else None
        return unbroadcast(grad, self.shapes[0]), grad_b


class MulFunction(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        a, b = self.a, self.b
        grad_a = unbroadcast(grad * b, a.shape) if self.needs_input_grad[0] else None
        grad_b = unbroadcast(grad * a, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class DivFunction(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        a, b = self.a, self.b
        grad_a = unbroadcast(grad / b, a.shape) if self.needs_input_grad[0] else None
        # d(a/b)/db = -a / b^2
        grad_b = unbroadcast(-grad * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


# Powers and roots give inf and NaN where PyTorch does (0 ** -1, (-2) ** 0.5, d sqrt(x)/dx at 0),
# without NumPy's warnings; d(x^0)/dx is 0 everywhere, 0 ** 0 included, as in PyTorch.
_QUIET = dict(divide="ignore", invalid="ignore")


class PowScalarFunction(Function):
    def forward(self, x, *, exponent):
        self.x, self.exponent = x, exponent
        with np.errstate(**_QUIET):
            return x**exponent

    def backward(self, grad):
        p = self.exponent
        if p == 0:
            return np.zeros_like(self.x)
        with np.errstate(**_QUIET):
            return grad * (p * self.x ** (p - 1))  # d(x^p)/dx = p x^(p-1)


class PowFunction(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(**_QUIET):
            self.out = a**b
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        grad_a = grad_b = None
        with np.errstate(**_QUIET):
            if self.needs_input_grad[0]:  # d(a^b)/da = b a^(b-1), and 0 where b == 0
                grad_a = unbroadcast(np.where(b == 0, 0, grad * b * a ** (b - 1)), a.shape)
            if self.needs_input_grad[1]:  # d(a^b)/db = a^b ln a, taken as 0 where a == 0 and b >= 0
                grad_b = np.where((a == 0) & (b >= 0), 0, grad * self.out * np.log(a)).astype(b.dtype, copy=False)
                grad_b = unbroadcast(grad_b, b.shape)
        return grad_a, grad_b


class NegFunction(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


class ExpFunction(Function):
    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


class LogFunction(Function):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return grad / self.x


class Log1pFunction(Function):
    def forward(self, x):
        self.x = x
        return np.log1p(x)  # exact near 0, where log(1 + x) would lose x's digits

    def backward(self, grad):
        return grad / (1 + self.x)


class Expm1Function(Function):
    def forward(self, x):
        self.out = np.expm1(x)
        return self.out

    def backward(self, grad):
        return grad * (self.out + 1)  # d(e^x - 1)/dx = e^x


class ReciprocalFunction(Function):
    def forward(self, x):
        with np.errstate(divide="ignore"):
            self.out = np.reciprocal(x)
        return self.out

    def backward(self, grad):
        return -grad * self.out * self.out  # d(1/x)/dx = -1/x^2


class SqrtFunction(Function):
    def forward(self, x):
        with np.errstate(invalid="ignore"):
            self.out = np.sqrt(x)
        return self.out

    def backward(self, grad):
        with np.errstate(divide="ignore"):
            return grad / (2 * self.out)  # d sqrt(x)/dx = 1 / (2 sqrt(x)): inf at 0, as PyTorch


class AbsFunction(Function):
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, grad):
        return grad * np.sign(self.x)


class SinFunction(Function):
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, grad):
        return grad * np.cos(self.x)


class CosFunction(Function):
    def forward(self, x):
        self.x = x
        return np.cos(x)

    def backward(self, grad):
        return -grad * np.sin(self.x)


class ClampFunction(Function):
    def forward(self, x, *, min, max):
        self.inside = np.ones(x.shape, bool)
        if min is not None:
            self.inside &= x >= min
        if max is not None:
            self.inside &= x <= max
        return np.clip(x, min, max)

    def backward(self, grad):
        return grad * self.inside  # the gradient passes where min <= x <= max


class _ExtremumFunction(Function):
    """maximum/minimum: the gradient goes to the chosen input, split in half on ties."""

    pick = None

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.pick(a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        a_wins = (a == self.pick(a, b)).astype(grad.dtype)
        b_wins = (b == self.pick(a, b)).astype(grad.dtype)
        share_a = a_wins / np.maximum(a_wins + b_wins, 1)
        grad_a = unbroadcast(grad * share_a, a.shape) if self.needs_input_grad[0] else None
        grad_b = unbroadcast(grad * (1 - share_a) * b_wins, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class MaximumFunction(_ExtremumFunction):
    pick = staticmethod(np.maximum)


class MinimumFunction(_ExtremumFunction):
    pick = staticmethod(np.minimum)


class WhereFunction(Function):
    def forward(self, condition, a, b):
        self.condition, self.shapes = condition, (a.shape, b.shape)
        return np.where(condition, a, b)

    def backward(self, grad):
        zero = np.zeros((), grad.dtype)
        grad_a = unbroadcast(np.where(self.condition, grad, zero), self.shapes[0]) if self.needs_input_grad[1] else None
        grad_b = unbroadcast(np.where(self.condition, zero, grad), self.shapes[1]) if self.needs_input_grad[2] else None
        return None, grad_a, grad_b


class CastFunction(Function):
    def forward(self, x, *, dtype, copy):
        self.source = x.dtype
        return x.astype(dtype, copy=copy)

    def backward(self, grad):
        return grad.astype(self.source)


# --------------------------------------------------------------------------- public API
def add(a: Tensor | Number, b: Tensor | Number, alpha: Number = 1) -> Tensor:
    a, b = tensor_pair(a, b)
    return AddFunction.apply(a, b if alpha == 1 else mul(b, alpha))


def sub(a: Tensor | Number, b: Tensor | Number, alpha: Number = 1) -> Tensor:
    a, b = tensor_pair(a, b)
    return SubFunction.apply(a, b if alpha == 1 else mul(b, alpha))


def mul(a: Tensor | Number, b: Tensor | Number) -> Tensor:
    return MulFunction.apply(*tensor_pair(a, b))


def div(a: Tensor | Number, b: Tensor | Number) -> Tensor:
    return DivFunction.apply(*tensor_pair(a, b))


def pow(a: Tensor | Number, b: Tensor | Number) -> Tensor:
    if isinstance(a, Tensor) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return PowScalarFunction.apply(a, exponent=b)
    return PowFunction.apply(*tensor_pair(a, b))


def neg(x: Tensor) -> Tensor:
    return NegFunction.apply(x)


def exp(x: Tensor) -> Tensor:
    return ExpFunction.apply(x)


def log(x: Tensor) -> Tensor:
    return LogFunction.apply(x)


def log1p(x: Tensor) -> Tensor:
    """log(1 + x), accurate for small x."""
    return Log1pFunction.apply(x)


def expm1(x: Tensor) -> Tensor:
    """e^x - 1, accurate for small x."""
    return Expm1Function.apply(x)


def reciprocal(x: Tensor) -> Tensor:
    return ReciprocalFunction.apply(x)


def rsqrt(x: Tensor) -> Tensor:
    """1 / sqrt(x)."""
    return reciprocal(sqrt(x))


def sqrt(x: Tensor) -> Tensor:
    return SqrtFunction.apply(x)


def abs(x: Tensor) -> Tensor:
    return AbsFunction.apply(x)


def sin(x: Tensor) -> Tensor:
    return SinFunction.apply(x)


def cos(x: Tensor) -> Tensor:
    return CosFunction.apply(x)


def square(x: Tensor) -> Tensor:
    return PowScalarFunction.apply(x, exponent=2)


def clamp(x: Tensor, min: Number | None = None, max: Number | None = None) -> Tensor:
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return ClampFunction.apply(x, min=min, max=max)


clip = clamp


def maximum(a: Tensor | Number, b: Tensor | Number) -> Tensor:
    return MaximumFunction.apply(*tensor_pair(a, b))


def minimum(a: Tensor | Number, b: Tensor | Number) -> Tensor:
    return MinimumFunction.apply(*tensor_pair(a, b))


def where(condition: Tensor | ArrayLike, a: Tensor | Number, b: Tensor | Number) -> Tensor:
    """Elements of a where condition is true, of b elsewhere."""
    condition = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(np.asarray(a))
    a, b = tensor_pair(a, b)
    return WhereFunction.apply(condition.astype(bool, copy=False), a, b)


def cast(x: Tensor, dtype: _dtype, copy: bool = False) -> Tensor:
    """x converted to dtype; gradients flow back between floating types."""
    dtype = np.dtype(dtype)
    if dtype == x.dtype and not copy:
        return x
    if dtype.kind != "f" or x.dtype.kind != "f":
        return Tensor(x._data.astype(dtype, copy=copy))
    return CastFunction.apply(x, dtype=dtype, copy=copy)


# comparisons and logic give boolean tensors and no gradient
def _compare(ufunc: np.ufunc) -> Callable[[Tensor | Number, Tensor | Number], Tensor]:
    def compare(a: Tensor | Number, b: Tensor | Number) -> Tensor:
        a, b = tensor_pair(a, b)
        return Tensor(ufunc(a._data, b._data))

    compare.__name__ = ufunc.__name__
    return compare


eq, ne, lt, le, gt, ge = (
    _compare(u) for u in (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)
)
logical_and, logical_or, logical_xor = (_compare(u) for u in (np.logical_and, np.logical_or, np.logical_xor))


def logical_not(x: Tensor) -> Tensor:
    return Tensor(np.logical_not(x._data) if x.dtype == np.bool_ else np.invert(x._data))


def sign(x: Tensor) -> Tensor:
    return Tensor(np.sign(x._data))


def isnan(x: Tensor) -> Tensor:
    return Tensor(np.isnan(x._data))


def isfinite(x: Tensor) -> Tensor:
    return Tensor(np.isfinite(x._data))


def isinf(x: Tensor) -> Tensor:
    return Tensor(np.isinf(x._data))


def _values(x: Tensor | ArrayLike) -> np.ndarray:
    """The numbers of a tensor (one that requires grad too: a comparison records no graph) or array."""
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def allclose(a: Tensor | ArrayLike, b: Tensor | ArrayLike, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    return bool(np.allclose(_values(a), _values(b), rtol=rtol, atol=atol))


def isclose(
    a: Tensor | ArrayLike, b: Tensor | ArrayLike, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Tensor:
    """Elementwise |a - b| <= atol + rtol |b|, a bool tensor."""
    return Tensor(np.isclose(_values(a), _values(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a: Tensor | ArrayLike, b: Tensor | ArrayLike) -> bool:
    """True when a and b have the same shape and the same elements, as torch.equal."""
    return bool(np.array_equal(_values(a), _values(b)))
