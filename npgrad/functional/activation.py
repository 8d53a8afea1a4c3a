"""Activation functions: relu, leaky_relu, prelu, elu, sigmoid, tanh, gelu, silu, softplus,
softmax, log_softmax.

Speed notes (NumPy 2, float32): np.clip(x, 0, inf) is about 3x faster than np.maximum(x, 0),
and np.where on a random mask is several times slower than multiplying by the mask, so the hot
activations are written with clip and products.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..backends import numba as numba_backend
from ..tensor import Tensor
from ..types import _dtype
from ._util import in_blocks, normalize_dim

_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_TANH_CUBIC = 0.044715

# NumPy has no erf. erfc(z) ~ t exp(-z^2 + P(t)), t = 1 / (1 + z/2), z >= 0, with P's
# coefficients (lowest degree first) from the Chebyshev fit in Numerical Recipes (Press et al.,
# 2nd ed., sec. 6.2): relative error < 1.2e-7 for every z >= 0, so float32-accurate even far in
# the tail, where computing 1 - erf(z) would cancel to 0.
_ERFC_COEFFS = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def _sigmoid(x):
    """1 / (1 + e^-x), the fast ops' one sigmoid (the recurrent cells fold theirs into one tanh
    call for all gates, see recurrent._activate_gates). Where x < -88 (float32) e^-x overflows
    to inf and the result is exactly 0, its true limit, so this is stable; the overflow warning
    is silenced. Small results keep their relative precision (sigmoid(-20) = 2.1e-9, not 0)."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def _softplus(x):
    """log(1 + e^x) written as max(x, 0) + log(1 + e^-|x|), which never overflows."""
    return np.clip(x, 0, np.inf) + np.log1p(np.exp(-np.abs(x)))


def _erfc(z):
    """The complementary error function for z >= 0 (see _ERFC_COEFFS)."""
    t = 1 / (1 + 0.5 * z)
    poly = 0.0
    for c in reversed(_ERFC_COEFFS):  # Horner's rule
        poly = poly * t + c
    return t * np.exp(poly - z * z)


def _normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, computed from the lower tail to stay accurate for x << 0."""
    lower_tail = 0.5 * _erfc(np.abs(x) * _SQRT_HALF)  # Phi(-|x|)
    return lower_tail + (x > 0) * (1 - 2 * lower_tail)  # Phi(x) = 1 - Phi(-x) for x > 0


def _softmax_parts(x, axis):
    """x - max(x), exp of that, and its sum along axis: the pieces of softmax and log_softmax.
    Along an axis of length 0 the max is the initial -inf and the result is empty, as in PyTorch."""
    shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)  # exp(shifted) <= 1 never overflows
    exp = np.exp(shifted)
    return shifted, exp, exp.sum(axis=axis, keepdims=True)


class ReLUFunction(Function):
    """max(0, x). Textbook twin: npgrad.textbook.ReLUFunction."""

    def forward(self, x):
        self.out = np.empty_like(x)
        if not numba_backend.elementwise("relu", (x.dtype.type(0),), x, self.out):
            np.clip(x, 0, np.inf, out=self.out)
        return self.out

    def backward(self, grad):
        grad_x = np.empty_like(grad)
        if not numba_backend.elementwise("relu_backward", (), grad, self.out, grad_x):
            np.multiply(grad, self.out > 0, out=grad_x)  # d relu/dx = 1 where x > 0, else 0
        return grad_x


class LeakyReLUFunction(Function):
    def forward(self, x, *, negative_slope):
        self.gain, y = np.empty_like(x), np.empty_like(x)
        slopes = (x.dtype.type(1 - negative_slope), x.dtype.type(negative_slope))
        if numba_backend.elementwise("leaky_relu", slopes, x, self.gain, y):
            return y
        for x_part, gain, y_part in in_blocks(x, self.gain, y):  # NumPy's passes over one block at a time
            np.greater(x_part, 0, out=gain)  # 1 where x > 0, negative_slope elsewhere
            gain *= 1 - negative_slope
            gain += negative_slope
            np.multiply(x_part, gain, out=y_part)
        return y

    def backward(self, grad):
        grad_x = np.empty_like(grad)
        if not numba_backend.elementwise("multiply", (), grad, self.gain, grad_x):
            np.multiply(grad, self.gain, out=grad_x)  # d/dx = 1 for x > 0, negative_slope otherwise
        return grad_x


class PReLUFunction(Function):
    """leaky_relu with a learned slope per channel (dim 1), or one slope for every element."""

    def forward(self, x, weight):
        self.x, self.weight_shape = x, weight.shape
        self.slope = weight.reshape((1, -1) + (1,) * (x.ndim - 2)) if weight.size > 1 else weight.reshape(())
        self.negative = x <= 0
        return np.where(self.negative, self.slope * x, x)

    def backward(self, grad):
        grad_x = np.where(self.negative, self.slope * grad, grad) if self.needs_input_grad[0] else None
        grad_weight = None
        if self.needs_input_grad[1]:  # dL/da = sum of dL/dy * x where x <= 0, per channel
            contribution = np.where(self.negative, grad * self.x, 0)
            axes = tuple(a for a in range(grad.ndim) if a != 1 or self.slope.ndim == 0)
            grad_weight = contribution.sum(axis=axes).reshape(self.weight_shape)
        return grad_x, grad_weight


class ELUFunction(Function):
    def forward(self, x, *, alpha):
        self.x, self.alpha = x, alpha
        # x for x > 0, alpha (e^x - 1) otherwise: each clip zeroes the other branch
        self.out = np.clip(x, 0, np.inf) + alpha * np.expm1(np.clip(x, -np.inf, 0))
        return self.out

    def backward(self, grad):
        return grad * np.where(self.x > 0, 1, self.out + self.alpha)  # d/dx = 1, or alpha e^x = out + alpha


class SigmoidFunction(Function):
    """1 / (1 + e^-x). Textbook twin: npgrad.textbook.SigmoidFunction."""

    def forward(self, x):
        self.out = _sigmoid(x)
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)  # d sigma/dx = sigma (1 - sigma)


class TanhFunction(Function):
    """tanh(x). Textbook twin: npgrad.textbook.TanhFunction."""

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)  # d tanh/dx = 1 - tanh^2


class GELUFunction(Function):
    """gelu(x) = x Phi(x), Phi the standard normal CDF."""

    def forward(self, x):
        self.x, self.cdf = x, _normal_cdf(x)
        return x * self.cdf

    def backward(self, grad):
        x = self.x
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
        return grad * (self.cdf + x * pdf)  # d/dx x Phi(x) = Phi(x) + x phi(x)


class GELUTanhFunction(Function):
    """gelu(x, approximate='tanh') = x/2 (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3)."""

    def forward(self, x):
        self.x, self.tanh_u, y = x, np.empty_like(x), np.empty_like(x)
        to_dtype = x.dtype.type  # NumPy takes the Python constants below as x's dtype
        if numba_backend.elementwise(
            "gelu_tanh_inner", (to_dtype(_SQRT_2_OVER_PI), to_dtype(_GELU_TANH_CUBIC)), x, self.tanh_u
        ):
            np.tanh(self.tanh_u, out=self.tanh_u)  # the compiled loops leave tanh to NumPy: the same numbers
            numba_backend.elementwise("gelu_tanh_output", (to_dtype(0.5), to_dtype(1)), x, self.tanh_u, y)
            return y
        for x_part, tanh_u, y_part in in_blocks(x, self.tanh_u, y):  # NumPy's passes over one block at a time
            np.tanh(_SQRT_2_OVER_PI * (x_part + _GELU_TANH_CUBIC * x_part * x_part * x_part), out=tanh_u)
            np.multiply(0.5 * x_part, 1 + tanh_u, out=y_part)
        return y

    def backward(self, grad):
        x, tanh_u, grad_x = self.x, self.tanh_u, np.empty_like(grad)
        to_dtype = x.dtype.type
        constants = tuple(map(to_dtype, (_SQRT_2_OVER_PI, 3 * _GELU_TANH_CUBIC, 0.5, 1)))
        if numba_backend.elementwise("gelu_tanh_backward", constants, grad, x, tanh_u, grad_x):
            return grad_x
        for g, x_part, t, g_x in in_blocks(grad, x, tanh_u, grad_x):  # NumPy's passes over one block at a time
            du_dx = _SQRT_2_OVER_PI * (1 + 3 * _GELU_TANH_CUBIC * x_part * x_part)
            # d/dx = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) du/dx
            np.multiply(g, 0.5 * (1 + t) + 0.5 * x_part * (1 - t * t) * du_dx, out=g_x)
        return grad_x


class SiLUFunction(Function):
    def forward(self, x):
        self.x, self.sigmoid = x, _sigmoid(x)
        return x * self.sigmoid

    def backward(self, grad):
        s = self.sigmoid
        return grad * (s * (1 + self.x * (1 - s)))  # d/dx x sigma(x) = sigma (1 + x (1 - sigma))


class SoftplusFunction(Function):
    """softplus(x) = log(1 + e^(beta x)) / beta, and x itself where beta x > threshold."""

    def forward(self, x, *, beta, threshold):
        self.scaled = beta * x
        self.linear = self.scaled > threshold
        return np.where(self.linear, x, _softplus(self.scaled) / beta)

    def backward(self, grad):
        return grad * np.where(self.linear, 1, _sigmoid(self.scaled))  # d/dx = sigma(beta x), 1 where linear


class SoftmaxFunction(Function):
    def forward(self, x, *, axis):
        self.axis = axis
        _, exp, total = _softmax_parts(x, axis)
        self.out = exp / total
        return self.out

    def backward(self, grad):
        y = self.out
        return y * (grad - (grad * y).sum(axis=self.axis, keepdims=True))  # dL/dx = y (g - sum(g y))


class LogSoftmaxFunction(Function):
    def forward(self, x, *, axis):
        self.axis = axis
        shifted, _, total = _softmax_parts(x, axis)
        with np.errstate(divide="ignore"):  # total >= 1 but along an empty axis (0, and the result is empty)
            self.out = shifted - np.log(total)
        return self.out

    def backward(self, grad):
        # dL/dx = g - softmax(x) sum(g)
        return grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True)


# --------------------------------------------------------------------------- public API
# `inplace` is accepted for PyTorch compatibility; the result is always a new tensor.
# Numeric options become Python floats: a NumPy float64 scalar would turn float32 results float64.
def _check_floating(name, x):
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating tensor, got {x.dtype}; convert it with .float()")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    _check_floating("relu", input)
    return ReLUFunction.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    _check_floating("leaky_relu", input)
    return LeakyReLUFunction.apply(input, negative_slope=float(negative_slope))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, a * x otherwise, with a = weight: one slope (1,), or one per channel (C,)
    for input (N, C, ...)."""
    _check_floating("prelu", input)
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim != 1 or weight.shape[0] not in (1, channels):
        raise ValueError(
            f"prelu: expected weight of shape (1,) or ({channels},) for input of shape "
            f"{tuple(input.shape)}, got {tuple(weight.shape)}"
        )
    return PReLUFunction.apply(input, weight)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise."""
    _check_floating("elu", input)
    return ELUFunction.apply(input, alpha=float(alpha))


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x)."""
    _check_floating("sigmoid", input)
    return SigmoidFunction.apply(input)


def tanh(input: Tensor) -> Tensor:
    _check_floating("tanh", input)
    return TanhFunction.apply(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) (approximate='none', with a float32-accurate erf) or its tanh approximation."""
    _check_floating("gelu", input)
    if approximate == "none":
        return GELUFunction.apply(input)
    if approximate == "tanh":
        return GELUTanhFunction.apply(input)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x sigma(x), also called swish."""
    _check_floating("silu", input)
    return SiLUFunction.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, reverting to x where beta x > threshold."""
    _check_floating("softplus", input)
    return SoftplusFunction.apply(input, beta=float(beta), threshold=float(threshold))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped into [min_val, max_val]; the gradient is 1 strictly inside, 0 elsewhere (as
    torch's, 0 at the bounds themselves, where clamp would pass it)."""
    from .elementwise import where

    _check_floating("hardtanh", input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be greater than max_val ({max_val})")
    inside = (input._data > min_val) & (input._data < max_val)
    return where(inside, input, Tensor(np.clip(input._data, min_val, max_val)))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0)


def logsigmoid(input: Tensor) -> Tensor:
    """log sigmoid(x) = -softplus(-x), which neither overflows nor takes the log of 0."""
    return -softplus(-input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    return input * tanh(softplus(input))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit: a * sigmoid(b), a and b the two halves of input along dim."""
    from .shape import chunk

    if input.shape[dim] % 2:
        raise ValueError(f"glu: halving dimension {dim} needs an even size, got {input.shape[dim]}")
    a, b = chunk(input, 2, dim)
    return a * sigmoid(b)


def softmin(input: Tensor, dim: int | None = None, *, dtype: _dtype | None = None) -> Tensor:
    """softmax(-x) along dim."""
    return softmax(-input, dim, dtype=dtype)


def _softmax_axis(name, input, dim, dtype):
    if dim is None:
        raise TypeError(
            f"{name}: dim is required (PyTorch's implicit choice of dim is deprecated); "
            f"pass dim=-1 to normalise over the last dimension"
        )
    input = input if dtype is None else input.to(dtype)
    _check_floating(name, input)
    return input, normalize_dim(dim, input.ndim)


def softmax(input: Tensor, dim: int | None = None, *, dtype: _dtype | None = None) -> Tensor:
    """e^x / sum(e^x) along dim (shifted by the max, so it never overflows)."""
    input, axis = _softmax_axis("softmax", input, dim, dtype)
    return SoftmaxFunction.apply(input, axis=axis)


def log_softmax(input: Tensor, dim: int | None = None, *, dtype: _dtype | None = None) -> Tensor:
    """x - log(sum(e^x)) along dim, computed stably."""
    input, axis = _softmax_axis("log_softmax", input, dim, dtype)
    return LogSoftmaxFunction.apply(input, axis=axis)
