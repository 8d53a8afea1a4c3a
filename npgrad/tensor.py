"""Tensor: an ndarray plus its gradient and the Function that produced it.

This module holds the storage, the autograd state and the conversions that need no op; the
operators and op methods (x + y, x.sum(), x.float(), x.add_(y) ...) are in
npgrad/_tensor_methods.py, which npgrad/__init__.py installs on Tensor, so that this module
imports no op module and every op module can import it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from . import autograd, dtypes, printing
from . import devices as _devices
from .devices import device as _device_type
from .types import ArrayLike, Number, _bool, _device, _dtype, _float, _int, _size

if TYPE_CHECKING:  # type checkers see the operators that npgrad/__init__.py installs at run time
    from ._tensor_methods import TensorMethods as _Installed
else:
    _Installed = object


class Tensor(_Installed):
    """A multi-dimensional array that can record the operations applied to it.

    `_data` is the NumPy array; as in PyTorch, `.data` is a Tensor sharing it (outside the
    graph), `grad` the accumulated gradient (a Tensor or None), `grad_fn` the Function that
    produced it (None for leaves). `_versions` is a one-element list counting in-place changes,
    shared with views, `.data` and `.detach()`, so backward can refuse stale saved values.
    """

    __slots__ = (
        "_data",
        "_grad",
        "_requires_grad",
        "_ctx",
        "_out_index",
        "_hooks",
        "_post_hooks",
        "_versions",
        "__weakref__",
    )
    __array_priority__ = 1000  # ndarray <op> Tensor calls the Tensor's reflected operator

    def __init__(self, data: ArrayLike, dtype: _dtype | None = None, requires_grad: _bool = False) -> None:
        self._data = data if isinstance(data, np.ndarray) and dtype is None else dtypes.to_array(data, dtype)
        self._grad = None
        self._versions = [0]
        self._ctx = None
        self._out_index = 0
        self._hooks = self._post_hooks = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, array: np.ndarray, ctx: autograd.Function | None, index: _int) -> Tensor:
        t = object.__new__(cls)
        t._data = array if type(array) is np.ndarray else np.asarray(array)
        t._grad, t._ctx, t._out_index, t._hooks, t._post_hooks, t._versions = None, ctx, index, None, None, [0]
        t._requires_grad = ctx is not None
        return t

    @property
    def data(self) -> Tensor:
        """This tensor's values as a tensor outside the graph, sharing memory (and the version
        counter: in-place changes through it are seen by backward)."""
        t = Tensor._from_op(self._data, None, 0)
        t._versions = self._versions
        return t

    @data.setter
    def data(self, value: Tensor | ArrayLike) -> None:
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        if array.shape != self._data.shape and self._ctx is not None:
            raise RuntimeError(
                f"cannot assign data of shape {array.shape} to a non-leaf tensor of shape {self._data.shape}"
            )
        self._data = array
        self._bump_version()

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward(): a Tensor of this tensor's shape, or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | ArrayLike | None) -> None:
        if value is None:
            self._grad = None
            return
        grad = value if isinstance(value, Tensor) else Tensor._from_op(np.asarray(value), None, 0)
        if grad._data.shape != self._data.shape or grad._data.dtype != self._data.dtype:
            raise RuntimeError(
                f"assigned grad has shape {grad._data.shape} and dtype {grad._data.dtype}; "
                f"the tensor has shape {self._data.shape} and dtype {self._data.dtype}"
            )
        self._grad = grad

    @property
    def _version(self) -> _int:
        """How many times this tensor's memory was changed in place (as torch's x._version)."""
        return self._versions[0]

    def _bump_version(self):
        self._versions[0] += 1

    # -- autograd state ------------------------------------------------------------------
    @property
    def requires_grad(self) -> _bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: _bool) -> None:
        flag = bool(flag)
        if self._ctx is not None:
            raise RuntimeError(
                "you can only change requires_grad of leaf tensors; use .detach() to get a tensor outside the graph"
            )
        if flag and self._data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got {self._data.dtype}")
        self._requires_grad = flag

    def requires_grad_(self, requires_grad: _bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> _bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> autograd.Function | None:
        return self._ctx

    def backward(self, gradient: Tensor | None = None, retain_graph: _bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's .grad (self must be a scalar unless
        `gradient`, the vector in the vector-Jacobian product, is given)."""
        autograd.backward(self, gradient, retain_graph)

    def retain_grad(self) -> None:
        """Keep .grad on this non-leaf tensor after backward (leaves always keep theirs)."""
        if self._ctx is not None:
            self._ctx._retain(self._out_index, self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> None:
        """Call hook(grad) when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._ctx is not None:
            self._ctx._add_hook(self._out_index, hook)
        else:
            self._hooks = (self._hooks or []) + [hook]

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> autograd.HookHandle:
        """Call hook(self) once backward has added this pass's whole gradient into this leaf's
        .grad. Such a leaf is accumulated as soon as its last contribution is computed, so the
        hook can start work (e.g. communication) while backward goes on."""
        if not self._requires_grad or self._ctx is not None:
            raise RuntimeError("post accumulate grad hooks can only be registered on leaf tensors that require grad")
        self._post_hooks = (self._post_hooks or []) + [hook]
        return autograd.HookHandle(self, "_post_hooks", hook)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data (and version counter), cut from the graph."""
        return self.data

    def detach_(self) -> Tensor:
        self._ctx, self._requires_grad = None, False
        return self

    # -- array protocol and conversions --------------------------------------------------
    @property
    def shape(self) -> tuple[_int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> _int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    def size(self, dim: _int | None = None) -> tuple[_int, ...] | _int:
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> _int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> _int:
        return self._data.size

    nelement = numel

    def __len__(self) -> _int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype: _dtype | None = None, copy: _bool | None = None) -> np.ndarray:
        # NumPy functions on a tensor that requires grad would silently leave the graph
        if self._requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(
                "Can't convert a tensor that requires grad to a NumPy array (a NumPy "
                "function on it would leave the graph): use npgrad's own op, or "
                ".detach().numpy() if you want the values"
            )
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return format(str(self), spec)

    def numpy(self) -> np.ndarray:
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad; use .detach().numpy()")
        return self._data

    def item(self) -> Number:
        if self._data.size != 1:
            raise ValueError(f"item(): only one-element tensors convert to Python scalars, got shape {self.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> _float:
        return float(self.item())

    def __int__(self) -> _int:
        return int(self.item())

    def __bool__(self) -> _bool:
        if self._data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._data.size} elements is ambiguous")
        return bool(self._data.item())

    def __index__(self) -> _int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._data.item())

    def __hash__(self) -> _int:
        return id(self)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(", **printing.array2string_options())
        extras = []
        if self._data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype=npgrad.{self._data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__.removesuffix('Function')}Backward>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- devices and conversions without a cast (the casts are in _tensor_methods) -----
    @property
    def device(self) -> _device_type:
        return _devices.CPU

    is_cuda = False

    def cuda(self, device: _device | _int | None = None, non_blocking: _bool = False) -> NoReturn:
        _devices.check_device("cuda")

    def cpu(self) -> Tensor:
        return self

    def is_floating_point(self) -> _bool:
        return self._data.dtype.kind == "f"

    def element_size(self) -> _int:
        return self._data.itemsize

    def t(self) -> Tensor:
        """The transpose of a tensor of at most 2 dimensions (as torch.Tensor.t)."""
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
        return self.transpose(0, 1) if self._data.ndim == 2 else self

    # -- new tensors like this one (same dtype unless given) ----------------------------
    def new_tensor(
        self, data: ArrayLike, dtype: _dtype | None = None, device: _device | None = None, requires_grad: _bool = False
    ) -> Tensor:
        _devices.check_device(device)
        return tensor(data, dtype=dtype or self._data.dtype, requires_grad=requires_grad)

    def new_zeros(
        self,
        *size: _int | _size,
        dtype: _dtype | None = None,
        device: _device | None = None,
        requires_grad: _bool = False,
    ) -> Tensor:
        return self.new_full(_size_arg(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(
        self,
        *size: _int | _size,
        dtype: _dtype | None = None,
        device: _device | None = None,
        requires_grad: _bool = False,
    ) -> Tensor:
        return self.new_full(_size_arg(size), 1, dtype=dtype, device=device, requires_grad=requires_grad)

    new_empty = new_zeros  # its contents are unspecified; zeros keep runs reproducible

    def new_full(
        self,
        size: _int | _size,
        fill_value: Number,
        dtype: _dtype | None = None,
        device: _device | None = None,
        requires_grad: _bool = False,
    ) -> Tensor:
        _devices.check_device(device)
        array = np.full(_size_arg((size,)), fill_value, dtype=dtype or self._data.dtype)
        return Tensor(array, requires_grad=requires_grad)

    def contiguous(self) -> Tensor:
        return self

    # -- in-place writes that apply no op (add_, fill_, x[i] = v ... are in _tensor_methods) --
    def _write(self, values):
        self._data[...] = values
        self._bump_version()
        return self

    def uniform_(self, a: _float = 0.0, b: _float = 1.0) -> Tensor:
        from .random import default_generator

        return self._initialize(default_generator().uniform(a, b, self.shape))

    def normal_(self, mean: _float = 0.0, std: _float = 1.0) -> Tensor:
        from .random import default_generator

        return self._initialize(default_generator().normal(mean, std, self.shape))

    def _initialize(self, values):
        if autograd.is_grad_enabled() and self._requires_grad:
            raise RuntimeError(
                "a leaf tensor that requires grad is used in an in-place operation; "
                "wrap the update in `with npgrad.no_grad():`"
            )
        return self._write(values)


def _size_arg(size):
    """Accept f(2, 3), f((2, 3)) and f([2, 3]) for a shape."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(n) for n in size)


def _plain_index(index):
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    return index._data if isinstance(index, Tensor) else index


def is_tensor(obj: object) -> bool:
    """True when obj is an npgrad Tensor (a Parameter included)."""
    return isinstance(obj, Tensor)


def tensor(data: ArrayLike, dtype: _dtype | None = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of `data` (floating data becomes float32 unless
    `dtype` says otherwise)."""
    return Tensor(dtypes.to_array(data, dtype), requires_grad=requires_grad)


def as_tensor(data: Tensor | ArrayLike, dtype: _dtype | None = None) -> Tensor:
    """`data` as a tensor, without copying when it already is one of the right type."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return tensor(data, dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array`, keeping its dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an ndarray, got {type(array).__name__}")
    return Tensor(array)
