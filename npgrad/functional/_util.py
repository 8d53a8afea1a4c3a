"""Helpers shared by the op families."""
import numpy as np

from ..tensor import Tensor


def unbroadcast(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched, so it has `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=tuple(range(extra)) + stretched).reshape(shape)


def operand(value, like):
    """A Python number or array used beside tensor `like`, as a constant tensor.

    Numbers take like's dtype when it is floating (so float32 stays float32); an integer
    tensor meeting a Python float becomes the default floating type, as in PyTorch.
    """
    if isinstance(value, Tensor):
        return value
    from .. import dtypes
    if isinstance(value, np.ndarray) and value.ndim > 0:
        dtype = like.dtype if like.dtype.kind == "f" else None
        return Tensor(np.asarray(value, dtype=dtype))
    if like.dtype.kind == "f" or isinstance(value, (bool, np.bool_)):
        dtype = like.dtype
    elif isinstance(value, (float, np.floating)):
        dtype = dtypes.get_default_dtype()
    else:
        dtype = like.dtype
    return Tensor(np.asarray(value, dtype=dtype))


def tensor_pair(a, b):
    """Both operands as tensors (at least one already is); an integer tensor meeting a
    floating one is cast to its type, as PyTorch does, instead of NumPy's float64."""
    if not isinstance(a, Tensor):
        a = operand(a, b)
    elif not isinstance(b, Tensor):
        b = operand(b, a)
    if a.dtype.kind == "f" and b.dtype.kind in "iub":
        return a, Tensor(b.data.astype(a.dtype))
    if b.dtype.kind == "f" and a.dtype.kind in "iub":
        return Tensor(a.data.astype(b.dtype)), b
    return a, b


def normalize_dim(dim, ndim, name="dim"):
    """A dim (possibly negative) as a non-negative axis, with a clear error when out of range."""
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{name} {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % max(ndim, 1)


def axes(dim, ndim):
    """PyTorch's dim argument (None, int or tuple) as NumPy's axis argument."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(normalize_dim(d, ndim) for d in dim)
    return normalize_dim(dim, ndim)
