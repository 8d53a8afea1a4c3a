"""The autograd engine: PyTorch's accumulation rules, graph freeing, hooks, no_grad."""

import numpy as np
import pytest

import npgrad
from npgrad.autograd import Function, GradcheckError

torch = pytest.importorskip("torch")


def pair(shape=(3, 4), seed=0):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return npgrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def test_leaf_grads_accumulate_until_zeroed():
    a, ta = pair()
    for _ in range(2):
        (a * a).sum().backward()
        (ta * ta).sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(a.grad, 4 * a.detach().numpy(), rtol=1e-6)
    a.grad = None
    (a * 3).sum().backward()
    np.testing.assert_allclose(a.grad, np.full(a.shape, 3, np.float32))


def test_reused_node_and_diamond():
    a, ta = pair()
    for x in (a, ta):
        b = x + x  # the same input twice
        c = b * 2
        d = b.exp()  # diamond: b feeds c and d
        (c * d).sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-5)


def test_non_leaf_grad_kept_only_when_asked():
    a, _ = pair()
    b = a * 2
    c = a * 3
    c.retain_grad()
    (b + c).sum().backward()
    assert b.grad is None
    np.testing.assert_array_equal(c.grad, np.ones(a.shape, np.float32))
    assert not b.is_leaf and a.is_leaf and b.grad_fn is not None


def test_second_backward_through_freed_graph_raises():
    a, _ = pair()
    y = (a * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    a, _ = pair()
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(a.grad, 4 * a.detach().numpy(), rtol=1e-6)


def test_backward_needs_scalar_or_gradient():
    a, ta = pair()
    with pytest.raises(RuntimeError, match="one element"):
        (a * 2).backward()
    g = np.random.default_rng(1).standard_normal(a.shape).astype(np.float32)
    (a * a).backward(npgrad.tensor(g))
    (ta * ta).backward(torch.from_numpy(g))
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-6)


def test_leaf_grads_never_share_memory():
    a, _ = pair()
    b, _ = pair(seed=1)
    (a + b).sum().backward()
    a.grad *= 10  # what clip_grad_norm_ does in place
    np.testing.assert_array_equal(b.grad, np.ones(b.shape, np.float32))


def test_no_grad_context_and_decorator():
    a, _ = pair()
    with npgrad.no_grad():
        assert not (a * 2).requires_grad
        with npgrad.enable_grad():
            assert (a * 2).requires_grad
    assert (a * 2).requires_grad

    @npgrad.no_grad()
    def double(x):
        return x * 2

    assert not double(a).requires_grad and npgrad.is_grad_enabled()


def test_detach_cuts_the_graph():
    a, _ = pair()
    b = (a * 2).detach()
    assert not b.requires_grad and b.grad_fn is None
    (b * a).sum().backward()
    np.testing.assert_allclose(a.grad, 2 * a.detach().numpy(), rtol=1e-6)


def test_hooks_see_and_replace_gradients():
    a, _ = pair()
    seen = []
    b = a * 2
    b.register_hook(lambda g: seen.append(g.numpy().copy()))
    a.register_hook(lambda g: g * 0.5)
    b.sum().backward()
    np.testing.assert_array_equal(seen[0], np.ones(a.shape, np.float32))
    np.testing.assert_allclose(a.grad, np.ones(a.shape, np.float32))


def test_only_float_tensors_require_grad():
    with pytest.raises(TypeError, match="floating"):
        npgrad.tensor([1, 2, 3], requires_grad=True)
    b = npgrad.tensor([1.0]) * 2
    npgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        (npgrad.tensor([1.0], requires_grad=True) * 2).requires_grad = False
    assert not b.requires_grad


def test_inplace_on_leaf_requiring_grad_raises_outside_no_grad():
    a, _ = pair()
    with pytest.raises(RuntimeError, match="in-place"):
        a.add_(1.0)
    with npgrad.no_grad():
        a.add_(1.0)
        a -= 1.0
    assert isinstance(a, npgrad.Tensor) and a.requires_grad


def test_float32_stays_float32():
    a, _ = pair()
    out = ((a * 2.5 + 1) / 3.0 - a.mean() + a.var() + np.float64(2.0) * a) ** 2
    assert out.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32
    i = npgrad.tensor([1, 2, 3])
    assert (i * 0.5).dtype == np.float32 and (i + a[0, :3]).dtype == np.float32


def test_float64_on_request():
    a = npgrad.randn(3, dtype=npgrad.float64, requires_grad=True)
    (a * 2).sum().backward()
    assert a.dtype == np.float64 and a.grad.dtype == np.float64


def test_tensor_keeps_an_arrays_dtype_and_python_floats_are_float32():
    assert npgrad.tensor(np.zeros(3)).dtype == np.float64  # as torch.tensor(ndarray)
    assert npgrad.tensor([0.0, 1.5]).dtype == np.float32
    assert npgrad.tensor(np.zeros(3), dtype=npgrad.float64).dtype == np.float64
    assert npgrad.from_numpy(np.zeros(3)).dtype == np.float64


class Cube(Function):
    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad):
        return grad * 3 * self.x**2


class WrongCube(Cube):
    def backward(self, grad):
        return grad * 2 * self.x**2


def test_gradcheck_accepts_right_and_rejects_wrong_backward():
    x = npgrad.randn(4, 3, dtype=npgrad.float64, requires_grad=True)
    assert npgrad.gradcheck(Cube.apply, (x,))
    with pytest.raises(GradcheckError, match="input 0"):
        npgrad.gradcheck(WrongCube.apply, (x,))
    with pytest.raises(TypeError, match="float64"):
        npgrad.gradcheck(Cube.apply, (npgrad.randn(3, requires_grad=True),))


class Upcast(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return grad.astype(np.float64) * 2


def test_engine_rejects_a_backward_that_changes_dtype():
    x = npgrad.randn(3, requires_grad=True)
    with pytest.raises(TypeError, match="Upcast.backward returned a float64 gradient"):
        Upcast.apply(x).sum().backward()


@pytest.mark.parametrize(
    "a_shape,b_shape", [((3, 4), (5, 6)), ((2, 3, 4), (2, 5, 6)), ((4,), (3,)), ((2, 3, 4), (3, 4, 2))]
)
def test_matmul_shape_errors_name_both_shapes(a_shape, b_shape):
    with pytest.raises(ValueError, match="matmul"):
        npgrad.randn(*a_shape) @ npgrad.randn(*b_shape)


def test_manual_seed_repeats():
    npgrad.manual_seed(3)
    a = npgrad.randn(5).numpy().copy()
    npgrad.manual_seed(3)
    np.testing.assert_array_equal(a, npgrad.randn(5).numpy())


def test_factories():
    assert npgrad.zeros(2, 3).shape == (2, 3) and npgrad.zeros((2, 3)).dtype == np.float32
    assert npgrad.ones(2, dtype=npgrad.float64).dtype == np.float64
    assert npgrad.full((2, 2), 7).dtype == np.int64 and npgrad.full((2,), 1.5).dtype == np.float32
    assert npgrad.arange(5).dtype == np.int64 and npgrad.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_allclose(npgrad.linspace(0, 1, 5).numpy(), torch.linspace(0, 1, 5).numpy())
    np.testing.assert_array_equal(npgrad.eye(3).numpy(), np.eye(3))
    r = npgrad.rand(1000)
    assert 0 <= r.numpy().min() and r.numpy().max() < 1 and r.dtype == np.float32
    n = npgrad.randn(20000)
    assert abs(n.numpy().mean()) < 0.05 and abs(n.numpy().std() - 1) < 0.05
    ri = npgrad.randint(3, 7, (100,))
    assert ri.dtype == np.int64 and ri.numpy().min() >= 3 and ri.numpy().max() < 7
    assert npgrad.randint(5, (4,)).shape == (4,)
    x = npgrad.randn(2, 3, dtype=npgrad.float64)
    for like in (npgrad.zeros_like, npgrad.ones_like, npgrad.randn_like):
        assert like(x).shape == (2, 3) and like(x).dtype == np.float64
    assert npgrad.empty(3, 2).shape == (3, 2)


def test_tensor_basics():
    t = npgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert t.shape == (2, 2) and t.ndim == 2 and t.numel() == 4 and t.size() == (2, 2) and t.size(1) == 2
    assert np.asarray(t.detach()).sum() == 10 and t.T.shape == (2, 2)
    assert t[1, 1].item() == 4.0 and len(t) == 2
    assert "requires_grad=True" in repr(t)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    assert npgrad.tensor(3).item() == 3 and float(npgrad.tensor(2.5)) == 2.5
    assert (t > 2).dtype == np.bool_ and (t == t).all().item()
    m = npgrad.nn.functional.one_hot(npgrad.tensor([0, 2]), 3)
    np.testing.assert_array_equal(m.numpy(), [[1, 0, 0], [0, 0, 1]])
    assert m.dtype == np.int64


# ------------------------------------------------------------------ autograd.grad
def graph_for_grad(lib, x):
    """y = sum(m^2) + sum(tanh(m)) with m = 2x, m keeping its .grad; a hook on x scales its gradient."""
    x.register_hook(lambda g: g * 10)
    m = x * 2
    m.retain_grad()
    return m, (m**2).sum() + lib.tanh(m).sum()


def test_grad_returns_what_backward_would_add_and_leaves_grad_alone():
    a, ta = pair()
    (m, y), (tm, ty) = graph_for_grad(npgrad, a), graph_for_grad(torch, ta)
    ours = npgrad.autograd.grad(y, [a, m], retain_graph=True)
    theirs = torch.autograd.grad(ty, [ta, tm], retain_graph=True)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6)
    assert a.grad is None and ta.grad is None  # leaves untouched ...
    np.testing.assert_allclose(m.grad.numpy(), tm.grad.numpy(), rtol=1e-6)  # ... retained grads filled, as torch
    y.backward()  # the graph was kept: backward now adds the same gradient to a.grad
    np.testing.assert_allclose(a.grad.numpy(), ours[0].numpy(), rtol=1e-6)


def test_grad_of_several_outputs_with_grad_outputs():
    a, ta = pair()
    b, tb = pair(seed=1)
    start = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    ours = npgrad.autograd.grad([a * b, (a**2).sum()], (a, b), grad_outputs=[npgrad.tensor(start), None])
    theirs = torch.autograd.grad([ta * tb, (ta**2).sum()], (ta, tb), grad_outputs=[torch.tensor(start), None])
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6)
    (x_itself,) = npgrad.autograd.grad(a, a, grad_outputs=npgrad.tensor(start))  # an output that is the input
    np.testing.assert_array_equal(x_itself.numpy(), start)


def test_grad_of_unused_inputs_and_misuse():
    a, b = pair()[0], pair(seed=1)[0]
    assert npgrad.autograd.grad((a * 3).sum(), [a, b], allow_unused=True)[1] is None
    zeros = npgrad.autograd.grad((a * 3).sum(), [a, b], materialize_grads=True)[1]
    np.testing.assert_array_equal(zeros.numpy(), np.zeros((3, 4), np.float32))
    with pytest.raises(RuntimeError, match="input 1 was not used"):
        npgrad.autograd.grad((a * 3).sum(), [a, b])
    with pytest.raises(RuntimeError, match="one element"):
        npgrad.autograd.grad(a * 3, a)
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        npgrad.autograd.grad((a * 3).sum(), npgrad.ones(2))
    with pytest.raises(NotImplementedError, match="higher-order"):
        npgrad.autograd.grad((a * 3).sum(), a, create_graph=True)
    y = (a * 3).sum()
    npgrad.autograd.grad(y, a)
    with pytest.raises(npgrad.autograd.GraphFreedError):  # the graph is freed unless retain_graph
        npgrad.autograd.grad(y, a)
