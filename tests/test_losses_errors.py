"""Wrong arguments to the losses (and to the activations they build on) raise clear errors
that name the function, what it expected and what it was given."""

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F


def labels(*values):
    return npgrad.tensor(np.array(values, dtype=np.int64))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_batch_size_mismatch(loss):
    scores, target = npgrad.randn(32, 10), npgrad.randint(0, 10, (30,))
    with pytest.raises(ValueError, match=f"{loss.__name__}: input has 32 rows but target has 30"):
        loss(scores, target)


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("bad", [12, 10, -3])
def test_class_out_of_range(loss, bad):
    with pytest.raises(ValueError, match=f"{loss.__name__}: target class {bad} is out of range for 10 classes"):
        loss(npgrad.randn(3, 10), labels(1, bad, 2))


def test_ignore_index_is_not_out_of_range():
    assert np.isfinite(F.cross_entropy(npgrad.randn(3, 10), labels(1, -100, 2)).item())
    assert np.isfinite(F.nll_loss(npgrad.randn(3, 10), labels(1, 42, 2), ignore_index=42).item())


def test_spatial_target_shape_mismatch():
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: target has shape \(2, 4\), expected \(2, 5\) "
        r"for input of shape \(2, 3, 5\)",
    ):
        F.cross_entropy(npgrad.randn(2, 3, 5), npgrad.randint(0, 3, (2, 4)))


def test_probability_target_must_match_the_input_shape():
    with pytest.raises(ValueError, match=r"cross_entropy: input has shape \(4, 3\) but target has shape \(4, 2\)"):
        F.cross_entropy(npgrad.randn(4, 3), npgrad.rand(4, 2))


def test_class_weight_needs_one_value_per_class():
    with pytest.raises(
        ValueError, match=r"cross_entropy: weight must have one value per class, shape \(3,\), got \(4,\)"
    ):
        F.cross_entropy(npgrad.randn(4, 3), labels(0, 1, 2, 0), weight=npgrad.ones(4))


@pytest.mark.parametrize("smoothing", [-0.1, 1.5])
def test_label_smoothing_outside_zero_one(smoothing):
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(npgrad.randn(4, 3), labels(0, 1, 2, 0), label_smoothing=smoothing)


def test_nll_loss_needs_integer_classes():
    with pytest.raises(TypeError, match="nll_loss: target must hold class indices .* got float32"):
        F.nll_loss(npgrad.randn(4, 3), npgrad.rand(4))


@pytest.mark.parametrize(
    "loss", [F.mse_loss, F.l1_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits, F.kl_div]
)
def test_elementwise_shape_mismatch(loss):
    with pytest.raises(ValueError, match=rf"{loss.__name__}: input has shape \(4, 1\) but target has shape \(4,\)"):
        loss(npgrad.rand(4, 1), npgrad.rand(4))


@pytest.mark.parametrize(
    "loss",
    [F.mse_loss, F.l1_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits, F.kl_div, F.cross_entropy],
)
def test_unknown_reduction(loss):
    x = npgrad.rand(4, 3)
    target = labels(0, 1, 2, 0) if loss is F.cross_entropy else npgrad.rand(4, 3)
    with pytest.raises(ValueError, match=f"{loss.__name__}: reduction must be one of 'none', 'mean', 'sum'.*got 'avg'"):
        loss(x, target, reduction="avg")


def test_batchmean_is_only_for_kl_div():
    x, y = npgrad.randn(4, 3), npgrad.rand(4, 3)
    assert np.isclose(F.kl_div(x, y, reduction="batchmean").item(), F.kl_div(x, y, reduction="sum").item() / 4)
    with pytest.raises(ValueError, match="mse_loss: reduction must be one of"):
        F.mse_loss(x, y, reduction="batchmean")


def test_binary_cross_entropy_needs_probabilities():
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy: input must hold probabilities in \[0, 1\].*"
        r"binary_cross_entropy_with_logits",
    ):
        F.binary_cross_entropy(npgrad.tensor([0.5, 1.5]), npgrad.tensor([0.0, 1.0]))


def test_binary_weights_must_broadcast_to_the_input():
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy_with_logits: pos_weight of shape \(3,\) does not "
        r"broadcast to the input's shape \(4, 2\)",
    ):
        F.binary_cross_entropy_with_logits(npgrad.randn(4, 2), npgrad.rand(4, 2), pos_weight=npgrad.ones(3))


@pytest.mark.parametrize("loss", [F.mse_loss, F.cross_entropy])
def test_integer_input_is_a_type_error(loss):
    target = labels(0, 1) if loss is F.cross_entropy else npgrad.ones(2, 2)
    with pytest.raises(TypeError, match=f"{loss.__name__}: expected a floating tensor, got int64"):
        loss(npgrad.tensor(np.ones((2, 2), np.int64)), target)


def test_float64_target_does_not_upcast_a_float32_loss():
    x = npgrad.randn(4, 3, requires_grad=True)
    loss = F.mse_loss(x, npgrad.tensor(np.ones((4, 3)), dtype=npgrad.float64))
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


# ------------------------------------------------------- activations and option types
@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_needs_dim(fn):
    with pytest.raises(TypeError, match=f"{fn.__name__}: dim is required"):
        fn(npgrad.randn(2, 3))


def test_gelu_approximate_must_be_none_or_tanh():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(npgrad.randn(3), approximate="erf")


def test_activation_of_integers_is_a_type_error():
    with pytest.raises(TypeError, match=r"sigmoid: expected a floating tensor, got int64; convert it with .float\(\)"):
        F.sigmoid(npgrad.tensor(np.arange(3)))


@pytest.mark.parametrize(
    "op",
    [
        lambda x: F.elu(x, np.float64(0.5)),
        lambda x: F.leaky_relu(x, np.float64(0.1)),
        lambda x: F.softplus(x, np.float64(2.0)),
        lambda x: F.cross_entropy(x, labels(0, 1, 2), label_smoothing=np.float64(0.1)),
        lambda x: F.dropout(x, np.float64(0.5)),
    ],
    ids=["elu", "leaky_relu", "softplus", "cross_entropy", "dropout"],
)
def test_numpy_float64_options_keep_float32(op):
    x = npgrad.randn(3, 3, requires_grad=True)
    y = op(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
