"""nn.init: PyTorch's fans and gains, and the statistics of every initialiser."""

import math

import numpy as np
import pytest

import npgrad
from npgrad.nn import init

torch = pytest.importorskip("torch")
th_init = torch.nn.init

SHAPES = [(3, 4), (7, 5), (8, 3, 5), (16, 4, 3, 3), (2, 3, 2, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(npgrad.empty(shape)) == th_init._calculate_fan_in_and_fan_out(
        torch.empty(shape)
    )


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(npgrad.empty(5))
    with pytest.raises(ValueError, match="fan_avg"):
        init.kaiming_uniform_(npgrad.empty(3, 3), mode="fan_avg")


GAINS = [
    ("linear", None),
    ("conv2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", 0),
    ("leaky_relu", math.sqrt(5)),
    ("selu", None),
]


@pytest.mark.parametrize("nonlinearity,param", GAINS)
def test_calculate_gain_matches_torch(nonlinearity, param):
    expected = th_init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-12)


def test_calculate_gain_rejects_bad_arguments():
    with pytest.raises(ValueError, match="softsign"):
        init.calculate_gain("softsign")
    for bad in (True, "0.1"):
        with pytest.raises(ValueError, match="negative_slope"):
            init.calculate_gain("leaky_relu", bad)


# The std each initialiser should give on a (256, 64, 3, 3) weight: fan_in 576, fan_out 2304.
FAN_IN, FAN_OUT = 64 * 9, 256 * 9
SQRT3 = math.sqrt(3)
CASES = [
    # name, call, expected std, expected bound (None for unbounded)
    ("uniform", lambda t: init.uniform_(t, -0.3, 0.5), 0.8 / math.sqrt(12), (-0.3, 0.5)),
    ("normal", lambda t: init.normal_(t, 0.0, 0.02), 0.02, None),
    ("xavier_uniform", lambda t: init.xavier_uniform_(t), math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    (
        "xavier_uniform_gain",
        lambda t: init.xavier_uniform_(t, gain=init.calculate_gain("tanh")),
        5 / 3 * math.sqrt(2 / (FAN_IN + FAN_OUT)),
        None,
    ),
    ("xavier_normal", lambda t: init.xavier_normal_(t), math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    ("kaiming_uniform", lambda t: init.kaiming_uniform_(t), math.sqrt(2 / FAN_IN), None),
    (
        "kaiming_uniform_relu_fan_out",
        lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
        math.sqrt(2 / FAN_OUT),
        None,
    ),
    ("kaiming_uniform_sqrt5", lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 1 / math.sqrt(3 * FAN_IN), None),
    ("kaiming_normal", lambda t: init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / FAN_IN), None),
    (
        "kaiming_normal_fan_out_leaky",
        lambda t: init.kaiming_normal_(t, a=0.2, mode="fan_out"),
        math.sqrt(2 / 1.04 / FAN_OUT),
        None,
    ),
]


@pytest.mark.parametrize("name,call,std,bounds", CASES, ids=[c[0] for c in CASES])
def test_initialiser_statistics(name, call, std, bounds):
    t = npgrad.zeros(256, 64, 3, 3)  # 147456 values: the sample std is within ~0.4% at 3 sigma
    assert call(t) is t
    values = t.detach().numpy()
    assert values.dtype == np.float32
    assert abs(values.std() / std - 1) < 0.01
    if "uniform" in name:  # U(-b, b) with b = sqrt(3) std, or U(a, b) as given
        low, high = bounds if bounds else (-SQRT3 * std, SQRT3 * std)
        slack = 1e-6 * (high - low)  # float32 rounding of the float64 draws
        assert values.min() >= low - slack and values.max() <= high + slack
        assert values.min() < low + 0.001 * (high - low) and values.max() > high - 0.001 * (high - low)
    assert abs(values.mean() - (sum(bounds) / 2 if bounds else 0)) < 4 * std / math.sqrt(values.size)


def test_trunc_normal_stays_in_bounds():
    t = init.trunc_normal_(npgrad.zeros(400, 400), mean=1.0, std=2.0, a=-1.0, b=3.0)
    assert t.detach().numpy().min() >= -1 and t.detach().numpy().max() <= 3
    # N(0, 1) truncated to [-1, 1] has std sqrt(1 - 2 phi(1) / (Phi(1) - Phi(-1))) = 0.5396
    assert abs(t.detach().numpy().std() / (2 * 0.5396) - 1) < 0.01
    with pytest.raises(ValueError, match="too far"):
        init.trunc_normal_(npgrad.zeros(3), mean=0.0, std=1.0, a=10.0, b=11.0)


def test_constants_and_eye():
    t = npgrad.randn(3, 4)
    assert (init.zeros_(t).detach().numpy() == 0).all()
    assert (init.ones_(t).detach().numpy() == 1).all()
    assert (init.constant_(t, 0.25).detach().numpy() == 0.25).all()
    np.testing.assert_array_equal(init.eye_(t).detach().numpy(), torch.nn.init.eye_(torch.empty(3, 4)).numpy())
    with pytest.raises(ValueError, match="2-D"):
        init.eye_(npgrad.zeros(2, 2, 2))


@pytest.mark.parametrize(
    "fn",
    [
        init.uniform_,
        init.normal_,
        init.xavier_uniform_,
        init.xavier_normal_,
        init.kaiming_uniform_,
        init.kaiming_normal_,
        init.trunc_normal_,
    ],
)
def test_dtype_kept_and_repeatable_with_manual_seed(fn):
    npgrad.manual_seed(123)
    first = fn(npgrad.zeros(20, 30, dtype=np.float64)).detach().numpy().copy()
    npgrad.manual_seed(123)
    second = fn(npgrad.zeros(20, 30, dtype=np.float64))
    assert second.dtype == np.float64
    np.testing.assert_array_equal(first, second.detach().numpy())
    assert not np.array_equal(first, fn(npgrad.zeros(20, 30, dtype=np.float64)).detach().numpy())
    gen_a, gen_b = np.random.default_rng(7), np.random.default_rng(7)
    np.testing.assert_array_equal(
        fn(npgrad.zeros(4, 5), generator=gen_a).detach().numpy(),
        fn(npgrad.zeros(4, 5), generator=gen_b).detach().numpy(),
    )


def test_init_works_on_parameters_that_require_grad():
    from npgrad import nn

    layer = nn.Linear(10, 10)
    init.xavier_uniform_(layer.weight)
    init.zeros_(layer.bias)
    assert layer.weight.requires_grad and layer.weight.is_leaf and not layer.bias.detach().numpy().any()


def test_zero_element_tensor_is_a_no_op():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(npgrad.zeros(0, 3))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    weight = npgrad.empty(*shape)
    assert init.orthogonal_(weight, gain=2.0, generator=np.random.default_rng(0)) is weight
    matrix = weight.numpy().reshape(shape[0], -1) / 2.0
    gram = matrix @ matrix.T if matrix.shape[0] <= matrix.shape[1] else matrix.T @ matrix
    np.testing.assert_allclose(gram, np.eye(len(gram)), atol=1e-6)
    again = init.orthogonal_(npgrad.empty(*shape), gain=2.0, generator=np.random.default_rng(0))
    np.testing.assert_array_equal(again.numpy(), weight.numpy())
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.orthogonal_(npgrad.empty(3))
