"""npgrad.linalg: PyTorch's torch.linalg norms (the differentiable op is in functional/reduction.py)."""

from __future__ import annotations

import math

from .functional._util import normalize_dim
from .functional.reduction import amax, amin, vector_norm
from .tensor import Tensor
from .types import _dtype, _int_or_size

__all__ = ["matrix_norm", "norm", "vector_norm"]

# ord -> (the axis summed over first, then max or min over the other): the induced matrix norms
_INDUCED = {1: (0, amax), -1: (0, amin), math.inf: (1, amax), -math.inf: (1, amin)}


def matrix_norm(
    A: Tensor,
    ord: str | float = "fro",
    dim: tuple[int, int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: _dtype | None = None,
) -> Tensor:
    """'fro' (the 2-norm of all entries), 1 / -1 (max / min column sum of |A|) or inf / -inf
    (max / min row sum) over the two dims `dim` of A."""
    if not (isinstance(dim, (tuple, list)) and len(dim) == 2):
        raise ValueError(f"matrix_norm: dim must be a pair of dims, got {dim!r}")
    rows, cols = (normalize_dim(d, A.ndim) for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim, dtype=dtype)
    if isinstance(ord, str) or ord not in _INDUCED:
        raise ValueError(
            f"matrix_norm: ord must be 'fro', 1, -1, inf or -inf, got {ord!r} "
            "(npgrad has no singular-value norms: 2, -2, 'nuc')"
        )
    A = A if dtype is None else A.to(dtype)
    first, pick = _INDUCED[ord]
    summed, other = (rows, cols) if first == 0 else (cols, rows)
    result = pick(A.abs().sum(summed, keepdim=True), other, keepdim=True)
    if keepdim:
        return result
    return result.reshape(tuple(n for i, n in enumerate(result.shape) if i not in (rows, cols)))


def norm(
    A: Tensor,
    ord: str | float | None = None,
    dim: _int_or_size | None = None,
    keepdim: bool = False,
    *,
    dtype: _dtype | None = None,
) -> Tensor:
    """torch.linalg.norm: a vector norm over an int dim (or over all of A when ord and dim are
    None), a matrix norm over a pair of dims (or over a 2-D A when ord is given)."""
    if dim is None and ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if dim is None and A.ndim not in (1, 2):
        raise ValueError(f"linalg.norm: with ord={ord!r} and no dim, A must be 1-D or 2-D, got shape {tuple(A.shape)}")
    if isinstance(dim, int) or (dim is None and A.ndim == 1) or (isinstance(dim, (tuple, list)) and len(dim) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
