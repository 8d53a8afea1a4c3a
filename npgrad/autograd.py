"""Reverse-mode automatic differentiation.

A `Function` is one differentiable operation: `forward` maps NumPy arrays to an array,
`backward` maps the gradient of the output to one gradient per input. Calling
`SomeFunction.apply(*inputs)` runs the forward pass on the inputs' arrays and, when
gradients are wanted, links the output tensor to the function so that `Tensor.backward()`
can walk the graph in reverse topological order.
"""

from __future__ import annotations

import functools
import inspect
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .types import ArrayLike

if TYPE_CHECKING:  # tensor.py imports this module
    from .tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])

_state = threading.local()  # grad mode is per thread, as in PyTorch


def is_grad_enabled() -> bool:
    """True when operations record the graph needed by backward() (in this thread)."""
    return getattr(_state, "grad_enabled", True)


def _set_grad_mode(mode: bool) -> None:
    _state.grad_enabled = mode


class set_grad_enabled:
    """Turn graph recording on or off in this thread: as a plain call
    (`set_grad_enabled(False)` takes effect at once), a context manager that restores the
    previous mode on exit, or a function decorator."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous: list[bool] = []
        if type(self) is set_grad_enabled:  # PyTorch: the plain call switches immediately
            self._previous.append(is_grad_enabled())
            _set_grad_mode(self.mode)

    def __enter__(self) -> None:
        if type(self) is not set_grad_enabled:
            self._previous.append(is_grad_enabled())
            _set_grad_mode(self.mode)

    def __exit__(self, *exc_info: object) -> None:
        _set_grad_mode(self._previous.pop())

    def __call__(self, fn: F) -> F:
        if type(self) is set_grad_enabled:  # used as a decorator: undo the immediate switch
            _set_grad_mode(self._previous.pop())

        @functools.wraps(fn)
        def run_with_mode(*args: Any, **kwargs: Any) -> Any:
            with _scoped_grad_mode(self.mode):
                return fn(*args, **kwargs)

        return run_with_mode  # type: ignore[return-value]  # wraps keeps fn's signature


class _scoped_grad_mode(set_grad_enabled):
    """set_grad_enabled that switches on __enter__ only (the base of no_grad and enable_grad)."""


class no_grad(_scoped_grad_mode):
    """Do not record the graph (inference, optimizer updates). `with no_grad():` or `@no_grad()`."""

    def __init__(self) -> None:
        super().__init__(False)


class inference_mode(_scoped_grad_mode):
    """no_grad under PyTorch's inference name: `with inference_mode():`, `@inference_mode()` or
    `@inference_mode`. inference_mode(False) leaves the grad mode as it is."""

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        if callable(mode):  # used bare as a decorator: @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        super().__init__(False)
        self.enabled = bool(mode)

    def __enter__(self) -> None:
        self._previous.append(is_grad_enabled())
        _set_grad_mode(False if self.enabled else self._previous[-1])

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def run_in_mode(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(self.enabled):
                return fn(*args, **kwargs)

        return run_in_mode  # type: ignore[return-value]  # wraps keeps fn's signature


class enable_grad(_scoped_grad_mode):
    """Record the graph again inside a `no_grad` block."""

    def __init__(self) -> None:
        super().__init__(True)


class Function:
    """Base class of every differentiable operation.

    Subclasses implement, on NumPy arrays:
      forward(self, *inputs, **options) -> ndarray (or a tuple of ndarrays)
      backward(self, *grad_outputs)     -> one gradient (or None) per positional input
    Anything backward needs is kept as attributes of `self` during forward.
    `self.needs_input_grad[i]` tells whether input i wants a gradient, so backward can
    skip work. backward must not modify its grad_outputs in place: they may be shared.

    PyTorch's style works too: `@staticmethod forward(ctx, *tensors)` and
    `@staticmethod backward(ctx, *grad_tensors)` on Tensors, with `ctx.save_for_backward`,
    `ctx.saved_tensors` and `ctx.needs_input_grad`.
    """

    parents: tuple[Any, ...] | None = None  # the input tensors; None once the graph has been freed
    _ctx_style = False
    # set by apply() on each call:
    needs_input_grad: tuple[bool, ...]
    n_outputs: int
    output_meta: list[tuple[tuple[int, ...], np.dtype]]  # (shape, dtype) of each output, when several
    saved_versions: list[tuple[list[int], int] | None]  # (counter, version at forward) of inputs and outputs

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._ctx_style = isinstance(inspect.getattr_static(cls, "forward"), staticmethod)

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Any:
        from .tensor import Tensor  # tensor.py imports this module

        fn = cls()
        arrays, needs = [], []
        versions: list[tuple[list[int], int] | None] = []
        for x in inputs:  # one pass: arrays, which inputs want gradients, their versions now
            if isinstance(x, Tensor):
                arrays.append(x._data)
                needs.append(x._requires_grad)
                versions.append((x._versions, x._versions[0]))
            else:
                arrays.append(x)
                needs.append(False)
                versions.append(None)
        fn.needs_input_grad = tuple(needs)
        output = _ctx_forward(fn, inputs, options) if cls._ctx_style else fn.forward(*arrays, **options)
        track = any(needs) and is_grad_enabled()
        if track:
            fn.parents = inputs
        many = isinstance(output, tuple)
        fn.n_outputs = len(output) if many else 1
        if many:
            fn.output_meta = [(o.shape, o.dtype) for o in output]
        results = tuple(
            Tensor._from_op(o, fn if track else None, i) for i, o in enumerate(output if many else (output,))
        )
        for out in results:
            if out._data.base is not None:
                _share_versions_with_viewed_input(out, arrays, inputs)
            if track:
                versions.append((out._versions, out._versions[0]))
        if track:
            fn.saved_versions = versions
        return results if many else results[0]

    def forward(self, *inputs: Any, **options: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, *grad_outputs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    # -- PyTorch's ctx interface ------------------------------------------------------------
    def save_for_backward(self, *tensors: Tensor) -> None:
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        return getattr(self, "to_save", ())

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        pass  # outputs of integer type never get gradients here anyway

    # -- bookkeeping used by the engine -------------------------------------------------
    def _retain(self, index, tensor):
        self.__dict__.setdefault("_retained", {})[index] = weakref.ref(tensor)

    def _add_hook(self, index, hook):
        self.__dict__.setdefault("_hooks", {}).setdefault(index, []).append(hook)

    def _release(self):
        """Drop everything saved for backward; a later backward through here raises."""
        self.__dict__.clear()


def _ctx_forward(fn, inputs, options):
    """Run a PyTorch-style static forward(ctx, *tensors) without recording; arrays out."""
    with no_grad():
        output = type(fn).forward(fn, *inputs, **options)
    if isinstance(output, tuple):
        return tuple(getattr(o, "_data", o) for o in output)
    return getattr(output, "_data", output)


def _ctx_backward(fn, grad_outputs):
    """Run a PyTorch-style static backward(ctx, *grad_tensors); arrays out."""
    from .tensor import Tensor

    with no_grad():
        grads = type(fn).backward(fn, *[Tensor._from_op(g, None, 0) for g in grad_outputs])
    grads = grads if isinstance(grads, tuple) else (grads,)
    return tuple(None if g is None else np.asarray(getattr(g, "_data", g)) for g in grads)


def _share_versions_with_viewed_input(out, arrays, inputs):
    """An output that is a view of an input's array shares its version counter, so an
    in-place change through either one is seen by graphs that saved the other."""
    base = out._data.base
    for array, x in zip(arrays, inputs):
        if hasattr(x, "_versions") and (base is array or (array.base is not None and base is array.base)):
            out._versions = x._versions
            return


def _check_versions(fn):
    """Raise if a tensor this function read in forward was changed in place since."""
    for position, saved in enumerate(fn.saved_versions):
        if saved is not None and saved[0][0] != saved[1]:
            n_in = len(fn.parents)
            what = f"input {position}" if position < n_in else f"output {position - n_in}"
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"in-place operation: {what} of {type(fn).__name__} is at version {saved[0][0]}; "
                f"expected version {saved[1]} instead. Make the in-place change after "
                f"backward(), or use an out-of-place operation (x = x * 2, not x.mul_(2))."
            )


class GraphFreedError(RuntimeError):
    pass


def _topological_order(root_fns):
    """Functions reachable from root_fns, each after every function that consumes its output."""
    finished, seen = [], set()
    stack = [(fn, False) for fn in root_fns]
    while stack:
        fn, children_done = stack.pop()
        if children_done:
            finished.append(fn)
            continue
        if fn in seen:
            continue
        if fn.parents is None:
            raise GraphFreedError(
                "Trying to backward through the graph a second time (or to use results of a "
                "graph that backward() already freed). Pass retain_graph=True to the first "
                "backward() if you need to call it twice."
            )
        seen.add(fn)
        stack.append((fn, True))
        for parent in fn.parents:
            ctx = getattr(parent, "_ctx", None)
            if ctx is not None and ctx not in seen:
                stack.append((ctx, False))
    finished.reverse()
    return finished


def _run_hooks(hooks, grad):
    from .tensor import Tensor

    for hook in hooks:
        result = hook(Tensor._from_op(grad, None, 0))
        if result is not None:
            grad = result._data if isinstance(result, Tensor) else np.asarray(result, grad.dtype)
    return grad


def _check_grad(fn, parent, grad):
    if grad.shape != parent._data.shape:
        raise RuntimeError(
            f"{type(fn).__name__}.backward returned a gradient of shape "
            f"{grad.shape} for an input of shape {parent._data.shape}"
        )
    if grad.dtype != parent._data.dtype:
        raise TypeError(
            f"{type(fn).__name__}.backward returned a {grad.dtype} gradient for a {parent._data.dtype} input"
        )


def _add_to_grad(tensor, grad, fresh):
    """tensor.grad += grad; the first gradient becomes .grad itself when `fresh` (an array
    nobody else holds), else a copy of it."""
    from .tensor import Tensor

    if tensor._grad is None:
        tensor._grad = Tensor._from_op(grad if fresh else grad.copy(), None, 0)
    else:
        tensor._grad._data += grad


def _accumulate_leaf(tensor, grad, handed_out):
    """Add one backward pass's gradient into a leaf's .grad, never sharing memory, then call
    its post-accumulate hooks."""
    if tensor._hooks:
        grad = _run_hooks(tensor._hooks, grad)
    fresh = id(grad) not in handed_out and grad.flags.owndata and grad.flags.writeable
    handed_out.add(id(grad))
    _add_to_grad(tensor, grad, fresh)
    for hook in tensor._post_hooks or ():
        hook(tensor)


class HookHandle:
    """Returned by a hook registration; remove() takes the hook off again."""

    def __init__(self, owner: Any, attribute: str, hook: Callable[..., Any]) -> None:
        self.owner, self.attribute, self.hook = owner, attribute, hook

    def remove(self) -> None:
        hooks = getattr(self.owner, self.attribute) or []
        setattr(self.owner, self.attribute, [h for h in hooks if h is not self.hook] or None)


def _hooked_leaves_by_last_use(order):
    """fn -> the leaves with post-accumulate hooks whose last gradient contribution comes from fn."""
    last_use = {}
    for fn in order:
        for parent in fn.parents:
            if getattr(parent, "_post_hooks", None):
                last_use[parent] = fn
    ready = {}
    for leaf, fn in last_use.items():
        ready.setdefault(fn, []).append(leaf)
    return ready


def _seed(output, grad, where):
    """The gradient that backpropagation starts from at `output`: `grad` as an array of
    output's dtype, or 1 for a one-element output when grad is None."""
    if not output.requires_grad:
        raise RuntimeError(
            f"{where}: this tensor does not require grad and has no grad_fn "
            "(did you create it under no_grad, or forget requires_grad=True?)"
        )
    if grad is None:
        if output._data.size != 1:
            raise RuntimeError(
                f"{where}: grad can be implicitly created only for a tensor "
                f"with one element; this one has shape {output._data.shape}"
            )
        return np.ones_like(output._data)
    grad = np.array(getattr(grad, "_data", grad), dtype=output._data.dtype)
    if grad.shape != output._data.shape:
        raise ValueError(f"{where}: grad has shape {grad.shape}, expected {output._data.shape}")
    return grad


def _seed_graph(seeds, leaf_grads):
    """Split (tensor, grad) seeds: a leaf's grad goes straight into leaf_grads; the rest are
    returned, to be propagated through the graph."""
    in_graph = []
    for tensor, grad in seeds:
        if tensor._ctx is None:
            leaf_grads[tensor] = grad if tensor not in leaf_grads else leaf_grads[tensor] + grad
        else:
            in_graph.append((tensor, grad))
    return in_graph


def backward(root: Tensor, grad: Tensor | ArrayLike | None = None, retain_graph: bool = False) -> None:
    """Compute d(root)/d(leaf) for every leaf that requires grad and add it to leaf.grad."""
    leaf_grads: dict[Tensor, np.ndarray] = {}
    handed_out: set[int] = set()
    seeds = _seed_graph([(root, _seed(root, grad, "backward()"))], leaf_grads)
    if seeds:
        _propagate(seeds, retain_graph, leaf_grads, handed_out)
    for leaf, leaf_grad in leaf_grads.items():
        _accumulate_leaf(leaf, leaf_grad, handed_out)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | ArrayLike | Sequence[Tensor | ArrayLike | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of `outputs` with respect to `inputs`, returned rather than added to any
    .grad (torch.autograd.grad). outputs and inputs: a tensor or a sequence of tensors;
    grad_outputs: dL/d(output) to start from for each output, as in backward() (None for a
    one-element output). An input the outputs do not depend on raises, unless allow_unused
    (its gradient is then None) or materialize_grads (zeros). Hooks run as in backward();
    leaves' .grad stay as they are. First order only: create_graph=True, a graph of the
    gradients themselves for higher derivatives, is not available."""
    if create_graph:
        raise NotImplementedError(
            "autograd.grad(create_graph=True): npgrad's backward computes gradients in NumPy and "
            "records no graph of them, so higher-order derivatives (a gradient penalty, "
            "Hessian-vector products) are not available"
        )
    outputs, inputs = _as_tensors(outputs), _as_tensors(inputs)
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else _as_tensors(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"autograd.grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad")
    leaf_grads: dict[Tensor, np.ndarray] = {}
    captured = {(x._ctx, x._out_index): None for x in inputs if x._ctx is not None}
    seeds = [(y, _seed(y, g, f"autograd.grad(), output {i}")) for i, (y, g) in enumerate(zip(outputs, grad_outputs))]
    seeds = _seed_graph(seeds, leaf_grads)
    if seeds:
        _propagate(seeds, bool(retain_graph), leaf_grads, captured=captured)
    return tuple(
        _input_grad(i, x, leaf_grads, captured, allow_unused or materialize_grads, materialize_grads)
        for i, x in enumerate(inputs)
    )


def _as_tensors(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _input_grad(index, x, leaf_grads, captured, allow_unused, materialize):
    """autograd.grad's result for input x: its gradient as a new tensor (a leaf's after its hooks)."""
    from .tensor import Tensor

    g = leaf_grads.get(x) if x._ctx is None else captured[(x._ctx, x._out_index)]
    if g is not None and x._ctx is None and x._hooks:
        g = _run_hooks(x._hooks, g)
    if g is None:
        if not allow_unused:
            raise RuntimeError(
                f"autograd.grad: input {index} was not used to compute the outputs; pass "
                "allow_unused=True to get None for it"
            )
        return Tensor._from_op(np.zeros_like(x._data), None, 0) if materialize else None
    return Tensor._from_op(np.array(g), None, 0)  # a copy: g may be shared inside the engine


def _propagate(seeds, retain_graph, leaf_grads, handed_out=None, captured=None):
    """Run the backward of every function reachable from seeds [(tensor, grad)], each once the
    gradients of all its outputs are in; leaves' gradients collect in leaf_grads. backward()
    passes handed_out: a leaf with post-accumulate hooks gets its .grad as soon as its gradient
    is complete. autograd.grad passes captured {(fn, output index): None}, which keeps the
    gradient of those outputs."""
    order = _topological_order([tensor._ctx for tensor, _ in seeds])
    for fn in order:
        _check_versions(fn)
    ready_after = _hooked_leaves_by_last_use(order) if handed_out is not None else {}
    pending: dict[Function, list] = {}
    for tensor, grad in seeds:
        slots = pending.setdefault(tensor._ctx, [None] * tensor._ctx.n_outputs)
        i = tensor._out_index
        slots[i] = grad if slots[i] is None else slots[i] + grad
    for fn in order:
        grad_outputs = pending.pop(fn, None)
        if grad_outputs is not None:
            _run_function_backward(fn, grad_outputs, pending, leaf_grads, captured)
        if not retain_graph:
            fn._release()
        for leaf in ready_after.get(fn, ()):
            if leaf in leaf_grads:  # accumulated early: the array may still be pending elsewhere
                early_grad = leaf_grads.pop(leaf)
                handed_out.add(id(early_grad))
                _accumulate_leaf(leaf, early_grad, handed_out)


def _run_function_backward(fn, grad_outputs, pending, leaf_grads, captured=None):
    hooks, retained = fn.__dict__.get("_hooks", {}), fn.__dict__.get("_retained", {})
    for index, hook_list in hooks.items():
        if grad_outputs[index] is not None:
            grad_outputs[index] = _run_hooks(hook_list, grad_outputs[index])
    if captured is not None:  # autograd.grad: keep the gradients of the inputs it asked for
        for index, g in enumerate(grad_outputs):
            if (fn, index) in captured and g is not None:
                captured[(fn, index)] = g.copy()  # before fn.backward, which may reuse the array
    for index, ref in retained.items():
        tensor = ref()
        if tensor is not None and grad_outputs[index] is not None:
            _add_to_grad(tensor, grad_outputs[index], fresh=False)
    if fn.n_outputs > 1:  # outputs that got no gradient count as zero
        grad_outputs = [np.zeros(s, d) if g is None else g for g, (s, d) in zip(grad_outputs, fn.output_meta)]
    grads = _ctx_backward(fn, grad_outputs) if fn._ctx_style else fn.backward(*grad_outputs)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(fn.parents):
        raise RuntimeError(f"{type(fn).__name__}.backward returned {len(grads)} gradients for {len(fn.parents)} inputs")
    for parent, g, needed in zip(fn.parents, grads, fn.needs_input_grad):
        if not needed or g is None:
            continue
        _check_grad(fn, parent, g)
        if parent._ctx is None:
            leaf_grads[parent] = g if parent not in leaf_grads else leaf_grads[parent] + g
        else:
            slots = pending.setdefault(parent._ctx, [None] * parent._ctx.n_outputs)
            i = parent._out_index
            slots[i] = g if slots[i] is None else slots[i] + g


# ----------------------------------------------------------------------------- gradcheck
class GradcheckError(AssertionError):
    pass


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check fn's hand-written backward against central finite differences.

    fn takes the tensors in `inputs` and returns a tensor (or a tuple of tensors). Every
    input with requires_grad=True is checked; use float64 inputs. The outputs are reduced
    to a scalar with fixed random weights w, L = sum(w * fn(inputs)), so one backward pass
    gives dL/dx, which is compared with (L(x + eps) - L(x - eps)) / (2 eps) element by
    element: |analytic - numeric| <= atol + rtol * |numeric|.
    Returns True, or raises GradcheckError naming the input and the worst element.
    """
    from .tensor import Tensor

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for x in checked:
        if x.dtype != np.float64:
            raise TypeError(f"gradcheck: inputs should be float64 for accurate differences, got {x.dtype}")
    rng = np.random.default_rng(seed)
    weights = None

    def scalar_loss():
        nonlocal weights
        outputs = fn(*inputs)
        outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
        outputs = [o for o in outputs if isinstance(o, Tensor) and np.issubdtype(o.dtype, np.floating)]
        if weights is None:
            weights = [rng.standard_normal(o.shape) for o in outputs]
        total = None
        for o, w in zip(outputs, weights):
            term = (o * Tensor(w)).sum()
            total = term if total is None else total + term
        return total

    for x in checked:
        x._data = np.ascontiguousarray(x._data)
        x.grad = None
    scalar_loss().backward()
    for position, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        analytic = np.zeros_like(x._data) if x.grad is None else x.grad._data
        numeric = _numeric_grad(scalar_loss, x, eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and error.max() > 0:
            worst = np.unravel_index(np.argmax(error), error.shape)
            message = (
                f"gradcheck failed for input {position} (shape {x.shape}) at index "
                f"{tuple(int(i) for i in worst)}: analytic {analytic[worst]:.6g}, "
                f"numeric {numeric[worst]:.6g}"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _numeric_grad(scalar_loss, x, eps):
    numeric = np.zeros_like(x._data)
    flat, out = x._data.reshape(-1), numeric.reshape(-1)
    with no_grad():
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = scalar_loss().item()
            flat[i] = original - eps
            minus = scalar_loss().item()
            flat[i] = original
            out[i] = (plus - minus) / (2 * eps)
    return numeric
