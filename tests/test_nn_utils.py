"""nn.utils: gradient clipping and parameter vectors, against torch.nn.utils."""

import math

import numpy as np
import pytest

import npgrad
from npgrad import nn

torch = pytest.importorskip("torch")


def make_params(scale=1.0, with_missing_grad=False):
    """Parameters with gradients in npgrad and torch (same values); one without a grad if asked."""
    rng = np.random.default_rng(0)
    shapes = [(4, 3), (3,), (2, 2, 5)]
    ng, th = [], []
    for i, shape in enumerate(shapes):
        value = rng.standard_normal(shape).astype(np.float32)
        grad = (scale * rng.standard_normal(shape)).astype(np.float32)
        p, q = nn.Parameter(npgrad.tensor(value)), torch.nn.Parameter(torch.from_numpy(value.copy()))
        if not (with_missing_grad and i == 1):
            p.grad, q.grad = grad.copy(), torch.from_numpy(grad.copy())
        ng.append(p)
        th.append(q)
    return ng, th


def assert_grads_equal(ng, th):
    for p, q in zip(ng, th):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            assert p.grad.dtype == np.float32
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, 0.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ng, th = make_params(with_missing_grad=(norm_type == 1))
    total = nn.utils.clip_grad_norm_(ng, max_norm, norm_type=float(norm_type))
    expected = torch.nn.utils.clip_grad_norm_(th, max_norm, norm_type=float(norm_type))
    assert isinstance(total, npgrad.Tensor) and total.shape == () and total.dtype == np.float32
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-5)
    assert_grads_equal(ng, th)


def test_clip_grad_norm_on_a_model_and_a_single_tensor():
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 1))
    (model(npgrad.randn(8, 5)) * 100).sum().backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    after = math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in model.parameters()))
    assert total.item() > 1 and after == pytest.approx(1.0, rel=1e-4)
    single = nn.Parameter(npgrad.ones(3))
    single.grad = np.full(3, 4.0, np.float32)
    assert nn.utils.clip_grad_norm_(single, 2.0).item() == pytest.approx(math.sqrt(48))
    assert np.linalg.norm(single.grad) == pytest.approx(2.0, rel=1e-5)


def test_clip_grad_norm_without_grads_and_nonfinite():
    p = nn.Parameter(npgrad.ones(2))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0
    p.grad = np.array([np.nan, 1.0], np.float32)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isnan(nn.utils.clip_grad_norm_([p], 1.0).item())


@pytest.mark.parametrize("clip_value", [0.1, 0.7, 5.0])
def test_clip_grad_value_matches_torch(clip_value):
    ng, th = make_params(scale=2.0, with_missing_grad=True)
    assert nn.utils.clip_grad_value_(ng, clip_value) is None
    torch.nn.utils.clip_grad_value_(th, clip_value)
    assert_grads_equal(ng, th)


def test_parameter_vector_round_trip_matches_torch():
    ng, th = make_params()
    vec = nn.utils.parameters_to_vector(ng)
    np.testing.assert_array_equal(vec.detach().numpy(), torch.nn.utils.parameters_to_vector(th).detach().numpy())
    nn.utils.vector_to_parameters(vec * 2, ng)
    for p, q in zip(ng, th):
        np.testing.assert_array_equal(p.detach().numpy(), 2 * q.detach().numpy())
    with pytest.raises(ValueError, match="expected a vector of 35"):
        nn.utils.vector_to_parameters(npgrad.zeros(5), ng)
