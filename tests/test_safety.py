"""Autograd safety nets and PyTorch's tensor semantics: version counters on in-place changes,
per-thread grad mode, NumPy functions refused on tensors that require grad, type promotion,
.grad/.data as tensors, in-place ops recorded in the graph, PyTorch-style custom Functions,
devices. PyTorch is the oracle wherever it defines the behaviour."""

import threading

import numpy as np
import pytest

import npgrad
from npgrad import nn

torch = pytest.importorskip("torch")


def both(fn):
    """fn(lib) run with npgrad and with torch."""
    return fn(npgrad), fn(torch)


# -- version counters ---------------------------------------------------------------------
def modify_saved_input(lib):
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * w).sum()
    with lib.no_grad():
        w.mul_(2)
    return y


def modify_saved_output(lib):
    x = lib.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # exp's backward reads its output
    z = y.sum()
    with lib.no_grad():
        y[0] = 10.0
    return z


def modify_through_data(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.data.mul_(3)
    return y


def modify_by_optimizer(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.grad = lib.ones(2)
    (npgrad.optim if lib is npgrad else torch.optim).SGD([w], lr=0.1).step()
    return y


def modify_a_view(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = lib.tensor([1.0, 1.0], requires_grad=True)
    y = (x * w).sum()  # mul saves x for dL/dw
    x[0].fill_(7.0)  # an in-place change through a view of x
    return y


@pytest.mark.parametrize("make", [modify_saved_input, modify_saved_output, modify_by_optimizer, modify_a_view])
def test_backward_refuses_values_changed_in_place(make):
    with pytest.raises(RuntimeError, match="modified by an inplace"):
        make(torch).backward()
    with pytest.raises(RuntimeError, match="modified by an in-place operation.*version 1; expected version 0"):
        make(npgrad).backward()


def test_data_writes_are_refused_too():
    """PyTorch lets .data writes through silently (a wrong gradient); npgrad refuses them."""
    with pytest.raises(RuntimeError, match="in-place"):
        modify_through_data(npgrad).backward()


def test_versions_count_in_place_changes_as_torch():
    def counts(lib):
        x = lib.zeros(3)
        seen = [x._version]
        x.add_(1)
        x[0] = 2
        x.data.mul_(2)
        x += 1
        seen.append(x._version)
        return seen

    ng, th = both(counts)
    assert ng[0] == th[0] == 0 and ng[1] >= 4


def test_change_after_backward_is_fine():
    w = npgrad.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with npgrad.no_grad():
        w.mul_(2)
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])


# -- in-place ops recorded in the graph ------------------------------------------------------
def inplace_in_graph(lib, x, v):
    h = x * 2
    h[1:3] = v * 3  # a value that requires grad written into a graph tensor
    h.mul_(2)
    h.relu_()
    buffer = lib.zeros(4, 3)
    buffer[0] = h[0]  # a plain buffer becomes part of the graph
    buffer += 1
    return h.sum() + buffer.sum() * 2


def test_inplace_ops_in_the_graph_give_torch_gradients():
    rng = np.random.default_rng(0)
    x0, v0 = rng.standard_normal((4, 3)), rng.standard_normal(3)
    results = []
    for lib in (npgrad, torch):
        x = lib.tensor(x0, requires_grad=True)
        v = lib.tensor(v0, requires_grad=True)
        loss = inplace_in_graph(lib, x, v)
        loss.backward()
        results.append([loss.item(), np.asarray(x.grad), np.asarray(v.grad)])
    for ng, th in zip(*results):
        np.testing.assert_allclose(ng, th, rtol=1e-10)


def test_inplace_on_a_leaf_that_requires_grad_raises_as_torch():
    for lib in (npgrad, torch):
        w = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            w.add_(1)
        with pytest.raises(RuntimeError, match="leaf"):
            w += 1


# -- grad mode ---------------------------------------------------------------------------
def test_set_grad_enabled_as_a_plain_call():
    try:
        npgrad.set_grad_enabled(False)
        assert not npgrad.is_grad_enabled()
        assert not (npgrad.ones(2, requires_grad=True) * 2).requires_grad
    finally:
        npgrad.set_grad_enabled(True)
    assert npgrad.is_grad_enabled()


def test_set_grad_enabled_as_context_and_decorator_restore_the_mode():
    with npgrad.set_grad_enabled(False):
        assert not npgrad.is_grad_enabled()
    assert npgrad.is_grad_enabled()

    @npgrad.set_grad_enabled(False)
    def inside():
        return npgrad.is_grad_enabled()

    assert npgrad.is_grad_enabled() and not inside() and npgrad.is_grad_enabled()


def test_grad_mode_is_per_thread():
    inside_no_grad, go_on = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with npgrad.no_grad():
            inside_no_grad.set()
            go_on.wait(5)
            seen["worker"] = npgrad.is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    inside_no_grad.wait(5)
    seen["main"] = npgrad.is_grad_enabled()
    seen["graph"] = (npgrad.ones(2, requires_grad=True) * 2).requires_grad
    go_on.set()
    thread.join()
    assert seen == {"worker": False, "main": True, "graph": True}


# -- NumPy on tensors ----------------------------------------------------------------------
def test_numpy_functions_refuse_tensors_that_require_grad():
    w = npgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        np.exp(w)
    assert np.exp(w.detach()).tolist() == pytest.approx([np.e] * 3)


# -- type promotion --------------------------------------------------------------------------
PROMOTION_CASES = [
    ("float32", (3,), "float64", ()),
    ("int32", (3,), "int64", ()),
    ("float16", (3,), "float64", ()),
    ("int64", (3,), "float64", ()),
    ("bool", (3,), "int64", ()),
    ("float32", (3,), "float64", (3,)),
    ("int64", (3,), "float32", (3,)),
    ("uint8", (3,), "int8", (3,)),
    ("float16", (), "float64", ()),
    ("int32", (), "float32", (3,)),
]


@pytest.mark.parametrize("a_type,a_shape,b_type,b_shape", PROMOTION_CASES)
def test_binary_ops_promote_as_torch(a_type, a_shape, b_type, b_shape):
    def result(lib):
        a = lib.ones(a_shape, dtype=getattr(lib, a_type))
        b = lib.ones(b_shape, dtype=getattr(lib, b_type))
        return str((a * b).dtype).split(".")[-1], str((b + a).dtype).split(".")[-1]

    assert both(result)[0] == both(result)[1]


@pytest.mark.parametrize("a_type,scalar", [("float16", 2.5), ("int32", 2.5), ("int32", 3), ("bool", 2), ("float32", 2)])
def test_python_scalars_do_not_widen(a_type, scalar):
    ng, th = both(lambda lib: str((lib.ones(3, dtype=getattr(lib, a_type)) * scalar).dtype).split(".")[-1])
    assert ng == th


@pytest.mark.parametrize("types", [("float32", "float64"), ("int64", "float32"), ("int32", "bool"), ("int8", "int16")])
def test_cat_promotes_as_torch(types):
    def result(lib):
        return str(lib.cat([lib.ones(2, dtype=getattr(lib, t)) for t in types]).dtype).split(".")[-1]

    ng, th = both(result)
    assert ng == th


def test_cat_of_mixed_float_types_is_differentiable():
    a = npgrad.ones(2, requires_grad=True)
    b = npgrad.ones(2, dtype=npgrad.float64, requires_grad=True)
    npgrad.cat([a, b]).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_tensor_keeps_numpy_dtypes_and_python_floats_get_the_default():
    ng = [
        npgrad.tensor(np.zeros(2)).dtype,
        npgrad.tensor(np.float64(1)).dtype,
        npgrad.tensor([1.0]).dtype,
        npgrad.tensor(np.zeros(2, np.float16)).dtype,
    ]
    th = [
        torch.tensor(np.zeros(2)).dtype,
        torch.tensor(np.float64(1)).dtype,
        torch.tensor([1.0]).dtype,
        torch.tensor(np.zeros(2, np.float16)).dtype,
    ]
    assert [str(d) for d in ng] == [str(d).split(".")[-1] for d in th]


@pytest.mark.parametrize(
    "layer,x",
    [
        (lambda: nn.Linear(3, 2), lambda: npgrad.zeros(2, 3, dtype=npgrad.float64)),
        (lambda: nn.Linear(3, 2), lambda: npgrad.zeros(2, 3, dtype=npgrad.int64)),
        (lambda: nn.Conv2d(1, 2, 3), lambda: npgrad.zeros(1, 1, 5, 5, dtype=npgrad.float64)),
        (lambda: nn.BatchNorm1d(3), lambda: npgrad.zeros(2, 3, dtype=npgrad.float64)),
        (lambda: nn.LSTM(3, 4), lambda: npgrad.zeros(2, 1, 3, dtype=npgrad.float64)),
    ],
)
def test_a_float32_layer_refuses_other_input_dtypes(layer, x):
    x = x()
    with pytest.raises(TypeError, match=f"float32.*{x.dtype}|{x.dtype}.*float32"):
        layer()(x)


# -- .grad and .data are tensors ------------------------------------------------------------
def test_grad_and_data_are_tensors_sharing_memory():
    w = npgrad.tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()
    assert isinstance(w.grad, npgrad.Tensor) and isinstance(w.data, npgrad.Tensor)
    assert not w.data.requires_grad
    assert w.grad.norm().item() == pytest.approx(np.hypot(2, 4), rel=1e-6)
    w.data.add_(w.grad, alpha=-0.5)  # a hand-written SGD step
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])
    w.grad.zero_()
    assert w.grad.numpy().tolist() == [0.0, 0.0]


def test_manual_sgd_as_in_the_torch_tutorial():
    rng = np.random.default_rng(0)
    x0, y0, w0 = rng.standard_normal((8, 3)), rng.standard_normal(8), rng.standard_normal(3)
    losses = []
    for lib in (npgrad, torch):
        w = lib.tensor(w0, requires_grad=True)
        x, y = lib.tensor(x0), lib.tensor(y0)
        for _ in range(5):
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            with lib.no_grad():
                w -= w.grad * 0.1
                w.grad.zero_()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)


def test_assigning_a_grad_of_the_wrong_shape_raises():
    w = npgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="shape"):
        w.grad = npgrad.ones(2)


# -- PyTorch-style custom Functions ------------------------------------------------------------
def make_exp_function(lib):
    class MyExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            y = x.exp() * scale
            ctx.save_for_backward(y)
            ctx.scale = scale
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            assert ctx.needs_input_grad[0]
            return grad * y, None

    return MyExp


def test_ctx_style_function_matches_torch_and_passes_gradcheck():
    x0 = np.array([0.1, -0.4, 0.7])
    grads = []
    for lib in (npgrad, torch):
        x = lib.tensor(x0, requires_grad=True)
        make_exp_function(lib).apply(x, 2.0).sum().backward()
        grads.append(np.asarray(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    x = npgrad.tensor(x0, requires_grad=True)
    assert npgrad.gradcheck(lambda t: make_exp_function(npgrad).apply(t, 2.0), (x,))


# -- devices and small drop-in pieces ----------------------------------------------------------
def test_cpu_device_everywhere_and_cuda_refused():
    x = npgrad.zeros(2, 3, device="cpu")
    assert x.device == npgrad.device("cpu") and str(x.to("cpu").device) == "cpu"
    assert x.to(npgrad.device("cpu"), npgrad.float64).dtype == np.float64
    assert x.to(npgrad.ones(1, dtype=npgrad.float16)).dtype == np.float16
    assert not npgrad.cuda.is_available() and not npgrad.accelerator.is_available()
    assert not npgrad.backends.mps.is_available()
    with pytest.raises(RuntimeError, match="CPU only.*cuda"):
        npgrad.randn(2, device="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda:0")
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.Linear(2, 2).to("cuda")
    assert isinstance(nn.Linear(2, 2).to(npgrad.device("cpu")), nn.Linear)


def test_new_tensors_transpose_and_format():
    x = npgrad.ones(2, 3, dtype=npgrad.float64)
    for name in ("new_zeros", "new_ones", "new_empty"):
        made = getattr(x, name)(4, 5)
        assert made.shape == (4, 5) and made.dtype == np.float64
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype == np.float64
    assert x.t().shape == (3, 2) and npgrad.ones(3).t().shape == (3,)
    loss = npgrad.tensor(0.123456)
    assert f"{loss:.3f}" == "0.123" and f"{torch.tensor(0.123456):.3f}" == "0.123"


def test_inplace_keeps_the_dtype_and_refuses_a_higher_category_as_torch():
    for lib in (npgrad, torch):
        x = lib.zeros(3)
        x.add_(lib.ones(3, dtype=lib.float64))
        assert str(x.dtype).endswith("float32")
        with pytest.raises(RuntimeError, match="can't be cast"):
            lib.zeros(3, dtype=lib.int64).add_(lib.ones(3) * 0.5)
    h = npgrad.ones(2, requires_grad=True) * 1
    h.add_(npgrad.ones(2, dtype=npgrad.float64, requires_grad=True))
    assert h.dtype == np.float32
