"""Tensor: an ndarray plus its gradient and the Function that produced it."""
import numpy as np

from . import autograd, dtypes


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    `data` is the NumPy array, `grad` the accumulated gradient (an ndarray or None),
    `grad_fn` the Function that produced it (None for leaves).
    """

    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "_out_index", "_hooks", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor calls the Tensor's reflected operator

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data = data if isinstance(data, np.ndarray) and dtype is None else dtypes.to_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._out_index = 0
        self._hooks = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, array, ctx, index):
        t = object.__new__(cls)
        t.data = array if type(array) is np.ndarray else np.asarray(array)
        t.grad, t._ctx, t._out_index, t._hooks = None, ctx, index, None
        t._requires_grad = ctx is not None
        return t

    # -- autograd state ------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if self._ctx is not None:
            raise RuntimeError("you can only change requires_grad of leaf tensors; "
                               "use .detach() to get a tensor outside the graph")
        if flag and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got {self.data.dtype}")
        self._requires_grad = flag

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's .grad (self must be a scalar unless
        `gradient`, the vector in the vector-Jacobian product, is given)."""
        autograd.backward(self, gradient, retain_graph)

    def retain_grad(self):
        """Keep .grad on this non-leaf tensor after backward (leaves always keep theirs)."""
        if self._ctx is not None:
            self._ctx._retain(self._out_index, self)

    def register_hook(self, hook):
        """Call hook(grad) when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._ctx is not None:
            self._ctx._add_hook(self._out_index, hook)
        else:
            self._hooks = (self._hooks or []) + [hook]

    def detach(self):
        """A tensor sharing this one's data, cut from the graph."""
        return Tensor._from_op(self.data, None, 0)

    def detach_(self):
        self._ctx, self._requires_grad = None, False
        return self

    # -- array protocol and conversions --------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def numpy(self):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad; use .detach().numpy()")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors convert to Python scalars, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is ambiguous")
        return bool(self.data.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.data.item())

    def __hash__(self):
        return id(self)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype=npgrad.{self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}Backward>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- dtype conversions ---------------------------------------------------------------
    def to(self, dtype):
        """Cast to `dtype` (differentiable between floating types). Devices are not used: CPU only."""
        if isinstance(dtype, str) and dtype == "cpu":
            return self
        return ops.cast(self, dtype)

    type = to

    def float(self):
        return ops.cast(self, np.float32)

    def double(self):
        return ops.cast(self, np.float64)

    def long(self):
        return ops.cast(self, np.int64)

    def int(self):
        return ops.cast(self, np.int32)

    def bool(self):
        return ops.cast(self, np.bool_)

    def cpu(self):
        return self

    def contiguous(self):
        return self

    def clone(self):
        return ops.cast(self, self.data.dtype, copy=True)

    # -- in-place updates (outside the graph) --------------------------------------------
    def _check_inplace(self):
        if autograd.is_grad_enabled() and self._requires_grad:
            kind = "a leaf tensor that requires grad" if self._ctx is None else "a tensor in the graph"
            raise RuntimeError(f"in-place operation on {kind}; wrap it in `with npgrad.no_grad():`")

    def _inplace(self, values):
        self._check_inplace()
        self.data[...] = values
        return self

    def add_(self, other, alpha=1):
        self._check_inplace()
        self.data += alpha * np.asarray(other, dtype=self.data.dtype)
        return self

    def sub_(self, other, alpha=1):
        return self.add_(other, -alpha)

    def mul_(self, other):
        self._check_inplace()
        self.data *= np.asarray(other, dtype=self.data.dtype)
        return self

    def div_(self, other):
        self._check_inplace()
        self.data /= np.asarray(other, dtype=self.data.dtype)
        return self

    def zero_(self):
        return self._inplace(0)

    def fill_(self, value):
        return self._inplace(np.asarray(value, dtype=self.data.dtype))

    def copy_(self, source):
        return self._inplace(np.asarray(source, dtype=self.data.dtype))

    def clamp_(self, min=None, max=None):
        return self._inplace(np.clip(self.data, min, max))

    def uniform_(self, a=0.0, b=1.0):
        from .random import default_generator
        return self._inplace(default_generator().uniform(a, b, self.shape))

    def normal_(self, mean=0.0, std=1.0):
        from .random import default_generator
        return self._inplace(default_generator().normal(mean, std, self.shape))

    def __setitem__(self, index, value):
        self._check_inplace()
        self.data[_plain_index(index)] = np.asarray(value, dtype=self.data.dtype)

    def _augmented(self, other, inplace_op, graph_op):
        # In the graph, `a += b` builds a new node (rebinding a); outside it updates a's data.
        if autograd.is_grad_enabled() and (self._requires_grad or getattr(other, "_requires_grad", False)):
            return graph_op(self, other)
        inplace_op(self.data, np.asarray(other, dtype=self.data.dtype), out=self.data)
        return self

    def __iadd__(self, other):
        return self._augmented(other, np.add, ops.add)

    def __isub__(self, other):
        return self._augmented(other, np.subtract, ops.sub)

    def __imul__(self, other):
        return self._augmented(other, np.multiply, ops.mul)

    def __itruediv__(self, other):
        return self._augmented(other, np.true_divide, ops.div)

    # -- operators -----------------------------------------------------------------------
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __abs__(self):
        return ops.abs(self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __getitem__(self, index):
        return ops.index(self, index)

    def __eq__(self, other):
        return ops.eq(self, other)

    def __ne__(self, other):
        return ops.ne(self, other)

    def __lt__(self, other):
        return ops.lt(self, other)

    def __le__(self, other):
        return ops.le(self, other)

    def __gt__(self, other):
        return ops.gt(self, other)

    def __ge__(self, other):
        return ops.ge(self, other)

    def __invert__(self):
        return ops.logical_not(self)

    def __and__(self, other):
        return ops.logical_and(self, other)

    def __or__(self, other):
        return ops.logical_or(self, other)


def _plain_index(index):
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


def tensor(data, dtype=None, requires_grad=False):
    """A new leaf tensor holding a copy of `data` (floating data becomes float32 unless
    `dtype` says otherwise)."""
    return Tensor(dtypes.to_array(data, dtype), requires_grad=requires_grad)


def as_tensor(data, dtype=None):
    """`data` as a tensor, without copying when it already is one of the right type."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return tensor(data, dtype)


def from_numpy(array):
    """A tensor sharing memory with `array`, keeping its dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an ndarray, got {type(array).__name__}")
    return Tensor(array)


# The operations live in npgrad.functional; importing them last avoids a circular import.
from . import ops  # noqa: E402
ops.install_tensor_methods(Tensor)
