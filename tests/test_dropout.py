"""Dropout is random: its statistics, its scaling, its gradient and its repeatability."""

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F


def test_fraction_zeroed_is_close_to_p():
    x = npgrad.ones(1000, 1000)
    for p in (0.1, 0.5, 0.8):
        zeroed = float(np.mean(F.dropout(x, p).detach().numpy() == 0))
        assert abs(zeroed - p) < 0.005, f"p={p}: {zeroed:.4f} of the elements were zeroed"


def test_survivors_are_scaled_by_one_over_one_minus_p():
    y = F.dropout(npgrad.ones(200, 300), 0.3).detach().numpy()
    survivors = y[y != 0]
    assert y.dtype == np.float32
    np.testing.assert_allclose(survivors, np.full(survivors.shape, 1 / 0.7, np.float32), rtol=1e-6)
    assert abs(float(y.mean()) - 1) < 0.01  # inverted dropout keeps the expected value


def test_gradient_is_the_mask_over_one_minus_p():
    p = 0.4
    x = npgrad.randn(50, 60, requires_grad=True)
    y = F.dropout(x, p)
    upstream = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    y.backward(upstream)
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad, upstream * kept / (1 - p), rtol=1e-6)
    assert x.grad.dtype == np.float32


def test_repeatable_with_manual_seed():
    x = npgrad.randn(20, 30)
    npgrad.manual_seed(7)
    first = F.dropout(x, 0.5).detach().numpy()
    npgrad.manual_seed(7)
    second = F.dropout(x, 0.5).detach().numpy()
    third = F.dropout(x, 0.5).detach().numpy()
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(second, third), "a new draw should give a new mask"


def test_gradcheck_with_a_fixed_mask():
    def dropout_with_seed(x):
        npgrad.manual_seed(3)  # the same mask at every evaluation
        return F.dropout(x, 0.3)

    x = npgrad.randn(4, 5, dtype=npgrad.float64, requires_grad=True)
    assert npgrad.gradcheck(dropout_with_seed, [x])


def test_identity_when_not_training_or_p_is_zero():
    x = npgrad.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_p_one_zeroes_everything():
    x = npgrad.randn(3, 4, requires_grad=True)
    y = F.dropout(x, 1.0)
    y.sum().backward()
    assert not y.detach().numpy().any() and not x.grad.any()


def test_float64_stays_float64():
    x = npgrad.randn(3, 4, dtype=npgrad.float64, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float64


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_p_outside_zero_one_is_an_error(p):
    with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\], got"):
        F.dropout(npgrad.ones(3), p)
