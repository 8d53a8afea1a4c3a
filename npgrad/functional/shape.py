"""Shape and indexing: reshape, permute, expand, repeat, indexing, index_select, cat/stack/split,
pad, gather, scatter/scatter_add, tril/triu."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor, _plain_index
from ..types import ArrayLike, Number, _int_or_size, _size
from ._util import as_dtype, normalize_dim, promote_types, unbroadcast


class ReshapeFunction(Function):
    """reshape, view, flatten, squeeze and unsqueeze: the gradient is reshaped back.

    A reshape of an array whose last axis is not innermost in memory (a conv's output, laid out
    (C, H, W, N), flattened for a Linear) copies it into C order. Its gradient is then put back
    in the input's memory order, so that the ops before it (activation, batch norm, the conv's
    own backward) run their passes on arrays laid out alike instead of striding across one of
    them. When the last axis is innermost (a transposed attention output), rows stay contiguous
    runs in either order, and the products that read them take them as they are."""

    def forward(self, x, *, shape):
        self.input_shape, self.memory_order = x.shape, None
        if not x.flags.c_contiguous:
            order = _memory_order(x)
            self.memory_order = order if order[-1] != x.ndim - 1 else None
        return x.reshape(shape)

    def backward(self, grad):
        grad = grad.reshape(self.input_shape)
        if self.memory_order is None or _memory_order(grad) == self.memory_order:
            return grad
        order = self.memory_order
        copy = np.empty([self.input_shape[axis] for axis in order], grad.dtype)
        copy[...] = grad.transpose(order)
        return copy.transpose(np.argsort(order))


def _memory_order(a):
    """a's axes from outermost to innermost in memory."""
    return tuple(np.argsort(a.strides, kind="stable")[::-1].tolist())


class PermuteFunction(Function):
    def forward(self, x, *, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, grad):
        return grad.transpose(np.argsort(self.dims))


class FlipFunction(Function):
    def forward(self, x, *, dims):
        self.dims = dims
        return np.flip(x, dims)

    def backward(self, grad):
        return np.flip(grad, self.dims)  # a reversal is its own inverse


class RollFunction(Function):
    def forward(self, x, *, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return np.roll(x, shifts, dims)

    def backward(self, grad):
        return np.roll(grad, tuple(-s for s in self.shifts), self.dims)  # rolled back


class ExpandFunction(Function):
    def forward(self, x, *, shape):
        self.input_shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(self, grad):
        return unbroadcast(grad, self.input_shape)


class IndexFunction(Function):
    """x[index]; integer-array indices may repeat an element, so their gradients add up."""

    def forward(self, x, *, index):
        self.shape, self.index = x.shape, index
        return x[index]

    def backward(self, grad):
        out = np.zeros(self.shape, grad.dtype)
        if _has_integer_array(self.index):
            np.add.at(out, self.index, grad)  # repeated indices accumulate
        else:
            out[self.index] = grad
        return out


def _has_integer_array(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


class CatFunction(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        self.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    def backward(self, grad):
        return tuple(np.split(grad, self.bounds, axis=self.axis))


class StackFunction(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        return np.stack(arrays, axis=axis)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.axis, 0))


class SplitFunction(Function):
    """x cut along `axis` at `bounds` into views; with `squeeze` (unbind) each piece, one element
    thick, loses that axis. Backward joins the pieces' gradients in one pass, where an index per
    piece would fill a zero array the size of x for each."""

    def forward(self, x, *, axis, bounds, squeeze):
        self.axis, self.squeeze = axis, squeeze
        pieces = np.split(x, bounds, axis=axis)
        return tuple(piece.squeeze(axis) for piece in pieces) if squeeze else tuple(pieces)

    def backward(self, *grads):
        join = np.stack if self.squeeze else np.concatenate
        return join(grads, axis=self.axis)


class PadFunction(Function):
    def forward(self, x, *, widths, value):
        self.crop = tuple(slice(before, before + n) for (before, _), n in zip(widths, x.shape))
        return np.pad(x, widths, constant_values=value)

    def backward(self, grad):
        return grad[self.crop]


class MaskedFillFunction(Function):
    def forward(self, x, mask, *, value):
        self.mask, self.shape = mask, x.shape
        return np.where(mask, np.asarray(value, x.dtype), x)

    def backward(self, grad):
        return unbroadcast(np.where(self.mask, np.zeros((), grad.dtype), grad), self.shape), None


class GatherFunction(Function):
    def forward(self, x, index, *, axis):
        self.shape, self.axis, self.index = x.shape, axis, index
        return np.take_along_axis(x, index, axis=axis)

    def backward(self, grad):
        out = np.zeros(self.shape, grad.dtype)
        np.add.at(out, _along_axis_index(self.index, self.axis), grad)  # repeated indices accumulate
        return out, None


def _along_axis_index(index, axis):
    """The full fancy index that np.take_along_axis(x, index, axis) reads."""
    grids = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grids[axis] = index
    return tuple(grids)


class RepeatFunction(Function):
    """Tensor.repeat: x tiled `repeats` times along each dim (x gains leading dims of size 1)."""

    def forward(self, x, *, repeats):
        self.padded_shape = (1,) * (len(repeats) - x.ndim) + x.shape
        self.input_shape, self.repeats = x.shape, repeats
        return np.tile(x.reshape(self.padded_shape), repeats)

    def backward(self, grad):  # dL/dx = the sum of dL/dy over the copies
        pairs = [n for r, s in zip(self.repeats, self.padded_shape) for n in (r, s)]
        copies = tuple(range(0, 2 * len(self.repeats), 2))
        return grad.reshape(pairs).sum(axis=copies).reshape(self.input_shape)


class ScatterFunction(Function):
    """out = input, with src written (add=False) or added (add=True) at index along axis:
    out[i][index[i][j]] = src[i][j] for axis=1. Only src's leading index.shape block is used."""

    def forward(self, x, src, index, *, axis, add):
        self.where = _along_axis_index(index, axis)
        self.src_shape, self.block, self.add = src.shape, tuple(slice(n) for n in index.shape), add
        out = x.copy()
        if add:
            np.add.at(out, self.where, src[self.block])  # repeated indices accumulate
        else:
            out[self.where] = src[self.block]
        return out

    def backward(self, grad):
        grad_x = grad_src = None
        if self.needs_input_grad[0]:  # scatter: the overwritten entries of x get no gradient
            grad_x = grad if self.add else grad.copy()
            if not self.add:
                grad_x[self.where] = 0
        if self.needs_input_grad[1]:  # dL/dsrc = dL/dout read back at the places src went to
            grad_src = np.zeros(self.src_shape, grad.dtype)
            grad_src[self.block] = grad[self.where]
        return grad_x, grad_src, None


class TriangleFunction(Function):
    """tril / triu: the entries on one side of a diagonal of the last two dims; the rest are 0."""

    def forward(self, x, *, diagonal, upper):
        self.diagonal, self.keep = diagonal, np.triu if upper else np.tril
        return self.keep(x, diagonal)

    def backward(self, grad):
        return self.keep(grad, self.diagonal)  # the kept entries pass their gradient, the others none


# --------------------------------------------------------------------------- public API
def _shape_arg(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def reshape(x: Tensor, *shape: int | _size) -> Tensor:
    shape = _shape_arg(shape)
    try:
        return ReshapeFunction.apply(x, shape=shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x._data.size} elements) into {shape}"
        ) from None


view = reshape


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = normalize_dim(start_dim, x.ndim), normalize_dim(end_dim, x.ndim)
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1 :])


def squeeze(x: Tensor, dim: _int_or_size | None = None) -> Tensor:
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dims = {normalize_dim(d, x.ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1)))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    dim = normalize_dim(dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def permute(x: Tensor, *dims: int | _size) -> Tensor:
    dims = tuple(normalize_dim(d, x.ndim) for d in _shape_arg(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the {x.ndim} dims of shape {x.shape}")
    return PermuteFunction.apply(x, dims=dims)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    dims = list(range(x.ndim))
    a, b = normalize_dim(dim0, x.ndim), normalize_dim(dim1, x.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return PermuteFunction.apply(x, dims=tuple(dims))


def expand(x: Tensor, *sizes: int | _size) -> Tensor:
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes given for a tensor with {x.ndim} dimensions")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    try:
        return ExpandFunction.apply(x, shape=shape)
    except ValueError:
        raise ValueError(f"expand: cannot expand shape {x.shape} to {sizes}") from None


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, *other.shape)


def index(x: Tensor, index: Any) -> Tensor:
    """x[index] with ints, slices, None, Ellipsis, integer arrays and boolean masks."""
    index = _plain_index(index)
    return IndexFunction.apply(x, index=index)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    axis = normalize_dim(dim, tensors[0].ndim)
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if i != axis
        ):
            raise ValueError(f"cat: shapes {tensors[0].shape} and {t.shape} differ outside dim {dim}")
    dtype = promote_types(*(t.dtype for t in tensors))
    return CatFunction.apply(*(as_dtype(t, dtype) for t in tensors), axis=axis)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: all tensors must have the same shape, got {tensors[0].shape} and {t.shape}")
    return StackFunction.apply(*tensors, axis=normalize_dim(dim, tensors[0].ndim + 1))


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    dim = normalize_dim(dim, x.ndim)
    return index(x, (slice(None),) * dim + (slice(start, start + length),))


def split(x: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of split_size along dim (the last may be smaller), or pieces of the given sizes."""
    dim = normalize_dim(dim, x.ndim)
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        sizes = [min(split_size_or_sections, n - s) for s in range(0, n, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} do not add up to {n}, the size of dim {dim}")
    if not sizes:
        return ()
    return SplitFunction.apply(x, axis=dim, bounds=np.cumsum(sizes[:-1]).tolist(), squeeze=False)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    n = x.shape[normalize_dim(dim, x.ndim)]
    return split(x, -(-n // chunks), dim)


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    dim = normalize_dim(dim, x.ndim)
    if x.shape[dim] == 0:
        return ()
    return SplitFunction.apply(x, axis=dim, bounds=list(range(1, x.shape[dim])), squeeze=True)


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad the last len(pad)//2 dims: pad = (last_left, last_right, 2nd_last_left, ...)."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected an even number of at most {2 * x.ndim} values, got {len(pad)}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(w < 0 for pair in widths for w in pair):
        raise ValueError("pad: negative padding is not supported")
    return PadFunction.apply(x, widths=tuple(widths), value=value)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims: entries with column - row <= diagonal, others 0."""
    return _triangle(x, diagonal, upper=False)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims: entries with column - row >= diagonal, others 0."""
    return _triangle(x, diagonal, upper=True)


def _triangle(x, diagonal, upper):
    if x.ndim < 2:
        raise ValueError(f"{'triu' if upper else 'tril'}: input must have at least 2 dims, got shape {x.shape}")
    return TriangleFunction.apply(x, diagonal=int(diagonal), upper=upper)


def masked_fill(x: Tensor, mask: Tensor | ArrayLike, value: Number | Tensor) -> Tensor:
    """x with `value` where mask is true (mask broadcasts against x)."""
    mask = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be boolean, got {mask.dtype}")
    return MaskedFillFunction.apply(x, mask, value=float(value))


def gather(x: Tensor, dim: int, index: Tensor | ArrayLike) -> Tensor:
    """out[i][j] = x[index[i][j]][j] for dim=0 (and so on): picks along dim."""
    index = index._data if isinstance(index, Tensor) else np.asarray(index)
    axis = normalize_dim(dim, x.ndim)
    if index.ndim != x.ndim:
        raise ValueError(f"gather: index has {index.ndim} dims, input has {x.ndim}")
    if index.size and (index.min() < -x.shape[axis] or index.max() >= x.shape[axis]):
        raise IndexError(f"gather: index out of range for dim {dim} of size {x.shape[axis]}")
    if any(i > n for d, (i, n) in enumerate(zip(index.shape, x.shape)) if d != axis):
        raise ValueError(f"gather: index shape {index.shape} is larger than input shape {x.shape} outside dim {dim}")
    x = narrow_to(x, index.shape, axis)
    return GatherFunction.apply(x, index.astype(np.int64, copy=False), axis=axis)


def narrow_to(x: Tensor, shape: _size, skip_axis: int) -> Tensor:
    """x cut down to `shape` in every dim except skip_axis."""
    if all(a == b for d, (a, b) in enumerate(zip(x.shape, shape)) if d != skip_axis):
        return x
    return index(x, tuple(slice(None) if d == skip_axis else slice(0, n) for d, n in enumerate(shape)))


def one_hot(x: Tensor | ArrayLike, num_classes: int = -1) -> Tensor:
    """Class indices (int64) to one-hot rows (int64), as torch.nn.functional.one_hot."""
    labels = x._data if isinstance(x, Tensor) else np.asarray(x)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected integer class indices, got {labels.dtype}")
    if num_classes < 0:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got {labels.min()}..{labels.max()}")
    return Tensor((labels[..., None] == np.arange(num_classes)).astype(np.int64))


def _index_array(where, index):
    index = index._data if isinstance(index, Tensor) else np.asarray(index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{where}: index must be an integer (int64) tensor, got {index.dtype}")
    return index.astype(np.int64, copy=False)


def index_select(x: Tensor, dim: int, index: Tensor | ArrayLike) -> Tensor:
    """The entries of x at positions `index` (a 1-D int64 tensor) along dim."""
    index = _index_array("index_select", index)
    axis = normalize_dim(dim, x.ndim)
    if index.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {index.shape}")
    size = x.shape[axis] if x.ndim else 1
    if index.size and (index.min() < -size or index.max() >= size):
        raise IndexError(f"index_select: index out of range for dim {dim} of size {size}")
    return IndexFunction.apply(x, index=(slice(None),) * axis + (index.reshape(-1),))


def repeat(x: Tensor, *sizes: int | _size) -> Tensor:
    """Tensor.repeat: x tiled sizes[d] times along dim d, e.g. (2, 3).repeat(2, 1, 2) is (2, 2, 6)."""
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    if any(not isinstance(r, (int, np.integer)) or r < 0 for r in sizes):
        raise ValueError(f"repeat: repeats must be non-negative ints, got {sizes}")
    if len(sizes) < x.ndim:
        raise ValueError(
            f"repeat: got {len(sizes)} repeats for a tensor with {x.ndim} dims; "
            "give one per dim (or more, to add leading dims)"
        )
    return RepeatFunction.apply(x, repeats=tuple(int(r) for r in sizes))


def _scatter(where, x, dim, index, src, value, add):
    index = _index_array(where, index)
    axis = normalize_dim(dim, x.ndim)
    if src is None or not isinstance(src, Tensor):
        fill = value if src is None else src
        if fill is None:
            raise TypeError(f"{where}: give src (a tensor) or value (a number)")
        src = Tensor(np.full(index.shape, fill, dtype=x.dtype))
    if src.dtype != x.dtype:
        raise TypeError(f"{where}: src has dtype {src.dtype}, input has {x.dtype}; they must match")
    if not index.ndim == x.ndim == src.ndim:
        raise ValueError(
            f"{where}: index ({index.ndim}-D), input ({x.ndim}-D) and src ({src.ndim}-D) "
            "must have the same number of dims"
        )
    if any(i > s for i, s in zip(index.shape, src.shape)) or any(
        i > n for d, (i, n) in enumerate(zip(index.shape, x.shape)) if d != axis
    ):
        raise ValueError(
            f"{where}: index shape {index.shape} must be no larger than src shape "
            f"{tuple(src.shape)}, nor than input shape {tuple(x.shape)} outside dim {dim}"
        )
    if index.size and (index.min() < 0 or index.max() >= x.shape[axis]):
        raise IndexError(f"{where}: index out of range for dim {dim} of size {x.shape[axis]}")
    return ScatterFunction.apply(x, src, index, axis=axis, add=add)


def scatter(
    x: Tensor,
    dim: int,
    index: Tensor | ArrayLike,
    src: Tensor | Number | None = None,
    value: Number | None = None,
    *,
    reduce: str | None = None,
) -> Tensor:
    """A copy of x with src (a tensor, or a number) written at index along dim:
    out[i][index[i][j]] = src[i][j] for dim=1. Where an index repeats, one of the writes wins."""
    if reduce is not None:
        raise ValueError(f"scatter: reduce={reduce!r} is not supported; use scatter_add for sums")
    return _scatter("scatter", x, dim, index, src, value, add=False)


def scatter_add(x: Tensor, dim: int, index: Tensor | ArrayLike, src: Tensor) -> Tensor:
    """A copy of x with src added at index along dim: out[i][index[i][j]] += src[i][j] for dim=1."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a tensor, got {type(src).__name__}")
    return _scatter("scatter_add", x, dim, index, src, None, add=True)


def flip(x: Tensor, dims: int | _size) -> Tensor:
    """x with the order of its entries reversed along each of dims."""
    dims = tuple(normalize_dim(d, x.ndim) for d in ((dims,) if isinstance(dims, int) else dims))
    return FlipFunction.apply(x, dims=dims)


def roll(x: Tensor, shifts: int | _size, dims: int | _size | None = None) -> Tensor:
    """x shifted cyclically by shifts[i] places along dims[i]; flattened and shifted when dims is None."""
    if dims is None:
        return roll(x.reshape(-1), shifts, 0).reshape(x.shape)
    shifts, dims = ((shifts,), (dims,)) if isinstance(dims, int) else (tuple(shifts), tuple(dims))
    if len(shifts) != len(dims):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
    return RollFunction.apply(x, shifts=shifts, dims=tuple(normalize_dim(d, x.ndim) for d in dims))


def tile(x: Tensor, dims: _size) -> Tensor:
    """x repeated dims[d] times along dim d (torch.tile): fewer dims than x has count from the
    last dim, more add leading dims of size 1 to x first."""
    dims = tuple(dims)
    reps = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x.reshape((1,) * (len(reps) - x.ndim) + tuple(x.shape)), reps)


def broadcast_to(x: Tensor, size: _size) -> Tensor:
    return expand(x, *size)


def movedim(x: Tensor, source: int | _size, destination: int | _size) -> Tensor:
    """x with the dims in source moved to the places in destination, the others in order."""
    source = [normalize_dim(d, x.ndim) for d in ((source,) if isinstance(source, int) else source)]
    destination = [normalize_dim(d, x.ndim) for d in ((destination,) if isinstance(destination, int) else destination)]
    order = [d for d in range(x.ndim) if d not in source]
    for place, dim in sorted(zip(destination, source)):  # the moved dims into their places, leftmost first
        order.insert(place, dim)
    return permute(x, *order)


def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    return transpose(x, axis0, axis1)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenated along dim 1, or dim 0 for 1-D tensors."""
    tensors = list(tensors)
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenated along dim 0, 1-D tensors as rows."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def meshgrid(*tensors: Tensor | Sequence[Tensor], indexing: str = "ij") -> tuple[Tensor, ...]:
    """For 1-D tensors of sizes n_1 ... n_k, k tensors of shape (n_1, ..., n_k), the i-th repeating
    tensors[i] along its own dim ('ij'); 'xy' swaps the first two dims, as for plotting."""
    tensors = list(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else list(tensors)
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if indexing == "xy" and len(tensors) >= 2:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    shape = tuple(t.numel() for t in tensors)
    grids = [t.reshape(*(-1 if d == i else 1 for d in range(len(shape)))).expand(*shape) for i, t in enumerate(tensors)]
    if indexing == "xy" and len(grids) >= 2:  # back to the order the tensors came in
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)
