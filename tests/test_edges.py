"""Gradients and errors at the edges, with PyTorch as the oracle: zero spread and zero vectors
(std, norm, normalize), ties in max/min/amax/amin, powers and roots at 0 and of negative bases,
zero-size tensors, binary cross-entropy outside [0, 1], and impossible pooling / conv sizes."""

import math

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
NAN, INF = math.nan, math.inf


def forward_backward(lib, functional, fn, inputs, dtype):
    """fn's outputs and the gradients of sum(output * fixed weights) for every input."""
    tensors = [lib.tensor(np.asarray(x), dtype=dtype, requires_grad=True) for x in inputs]
    out = fn(lib, functional, *tensors)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, tuple(out.shape))
    (out * lib.tensor(weights, dtype=dtype)).sum().backward()
    grads = [np.zeros(t.shape) if t.grad is None else np.asarray(t.grad) for t in tensors]
    return out.detach().numpy(), grads


def assert_like_torch(fn, *inputs, rtol=1e-12):
    """fn(lib, F, *tensors) gives PyTorch's values and gradients, NaN and inf where it does."""
    ours = forward_backward(npgrad, F, fn, inputs, npgrad.float64)
    theirs = forward_backward(torch, TF, fn, inputs, torch.float64)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=1e-12, equal_nan=True)
    assert ours[0].shape == theirs[0].shape
    for got, expected in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-12, equal_nan=True)


NO_SPREAD = [[1.0, 2.0, 2.0], [3.0, 3.0, 3.0]]  # row 1 has no spread; column 1 and 2 hold ties
TIES = [[0.0, 1.0, 5.0], [0.0, 1.0, -5.0], [2.0, 1.0, 5.0]]
TIES_3D = np.array([[[0.0, 1.0], [1.0, 1.0]], [[2.0, 2.0], [0.0, 2.0]]])
ZEROS = [[0.0, 0.0, 0.0], [3.0, 0.0, -4.0]]  # a zero vector, and one with zero entries


@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0")  # PyTorch's, for the NaN case
@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, F, x: x.std(),
        lambda lib, F, x: x.std(1),
        lambda lib, F, x: x.std(1, keepdim=True),
        lambda lib, F, x: x[1].std(),
        lambda lib, F, x: x[1:, :1].std(correction=0),  # one element, no correction: std 0
        lambda lib, F, x: x[1:, :1].std(),  # one element, N - 1 = 0: NaN, as PyTorch
        lambda lib, F, x: x.var(1),
        lambda lib, F, x: lib.std(x, dim=(0, 1)),
    ],
    ids=[
        "std-all",
        "std-dim",
        "std-keepdim",
        "std-constant",
        "std-single-c0",
        "std-single-nan",
        "var-dim",
        "std-tuple",
    ],
)
def test_std_and_var_at_zero_spread(fn):
    assert_like_torch(fn, NO_SPREAD)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, F, x: x.norm(),
        lambda lib, F, x: x[0].norm(),
        lambda lib, F, x: x.norm(dim=1),
        lambda lib, F, x: x.norm(p=1, dim=1),
        lambda lib, F, x: x.norm(p=3, dim=1, keepdim=True),
        lambda lib, F, x: x.norm(p=0.5, dim=1),
        lambda lib, F, x: x.norm(p=INF, dim=1),
        lambda lib, F, x: x.norm(p=-INF, dim=1),
        lambda lib, F, x: lib.norm(x, dim=0),
        lambda lib, F, x: lib.linalg.vector_norm(x, ord=0, dim=1),
        lambda lib, F, x: lib.linalg.vector_norm(x, ord=2, dim=(0, 1)),
        lambda lib, F, x: lib.linalg.norm(x[:1]),
        lambda lib, F, x: lib.linalg.norm(x * 0, ord=INF),
        lambda lib, F, x: lib.linalg.norm(x, ord=1),
        lambda lib, F, x: lib.linalg.matrix_norm(x * 0),
        lambda lib, F, x: F.normalize(x, dim=1),
        lambda lib, F, x: F.normalize(x, p=1, dim=0),
    ],
    ids=[
        "all",
        "zero-vector",
        "dim",
        "p1",
        "p3",
        "p0.5",
        "inf",
        "-inf",
        "torch.norm",
        "ord0",
        "tuple",
        "linalg-zero",
        "linalg-inf-zero",
        "linalg-matrix-1",
        "matrix-fro-zero",
        "normalize",
        "normalize-p1",
    ],
)
def test_norms_at_zero(fn):
    assert_like_torch(fn, ZEROS)


def test_norm_refuses_what_it_cannot_compute():
    x = npgrad.zeros(0, 3)
    with pytest.raises(IndexError, match=r"vector_norm\(ord=inf\): expected reduction dim 0 to have non-zero size"):
        x.norm(p=INF, dim=0)
    with pytest.raises(ValueError, match="no nuclear norm"):
        npgrad.ones(2, 2).norm(p="nuc")
    with pytest.raises(ValueError, match="ord must be 'fro', 1, -1, inf or -inf, got 2"):
        npgrad.linalg.matrix_norm(npgrad.ones(2, 2), ord=2)
    assert x.norm(p=INF, dim=1).shape == (0,) and x.norm().item() == 0.0  # as PyTorch


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, F, x: x.amax(0),
        lambda lib, F, x: x.amax(1, keepdim=True),
        lambda lib, F, x: x.amin(-1),
        lambda lib, F, x: x.amax(),
        lambda lib, F, x: lib.amin(x, (0, 1), keepdim=True),
        lambda lib, F, x: x.max(),
        lambda lib, F, x: x.min(),
        lambda lib, F, x: x.max(0)[0],  # (values, indices): the gradient goes to the index
        lambda lib, F, x: x.min(1, keepdim=True)[0],
        lambda lib, F, x: lib.maximum(x, x[:, :1]),
    ],
    ids=[
        "amax-dim",
        "amax-keepdim",
        "amin-neg-dim",
        "amax-all",
        "amin-tuple",
        "max-all",
        "min-all",
        "max-dim",
        "min-dim",
        "maximum",
    ],
)
def test_ties_share_the_gradient_as_in_pytorch(fn):
    assert_like_torch(fn, TIES)


@pytest.mark.parametrize("dim", [(0, 1), (0, 2), (1, 2), (-1, 0), None])
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin_over_tuples_of_dims(dim, keepdim):
    assert_like_torch(lambda lib, F, x: lib.amax(x, dim, keepdim) * 2 + lib.amin(x, dim, keepdim), TIES_3D)


def test_amax_dim_0_of_equal_rows_splits_the_gradient():
    x = npgrad.tensor([[0.0, 1.0], [0.0, 1.0]], requires_grad=True)
    x.amax(dim=0).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [[0.5, 0.5], [0.5, 0.5]])  # was 1 each: counted twice


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, F, x: x.max(),
        lambda lib, F, x: x.amax(),
        lambda lib, F, x: x.amax(1),
        lambda lib, F, x: x.max(1)[0],
        lambda lib, F, x: x.min(),
    ],
    ids=["max-all", "amax-all", "amax-dim", "max-dim", "min-all"],
)
def test_nan_in_max_and_amax(fn):
    assert_like_torch(fn, [[NAN, 1.0, NAN], [0.0, 2.0, 2.0]])


def test_max_of_nothing_is_a_clear_error():
    with pytest.raises(ValueError, match=r"max\(\): cannot reduce an empty tensor of shape \(0,\)"):
        npgrad.zeros(0).max()
    with pytest.raises(IndexError, match=r"amax\(\): expected reduction dim 0 to have non-zero size"):
        npgrad.zeros(0, 3).amax(0)
    with pytest.raises(IndexError, match=r"min\(\): expected reduction dim 0"):
        npgrad.zeros(0, 3).min(0)
    assert npgrad.zeros(0, 3).amax(1).shape == (0,)


BASES = [0.0, 0.0, 0.0, 0.0, 0.0, -2.0, -2.0, -2.0, 2.0, 1.5]
EXPONENTS = [0.0, 1.0, 2.0, 0.5, -1.0, 2.0, 3.0, 0.5, 0.0, -0.5]


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, F, x: x**0,
        lambda lib, F, x: x**0.0,
        lambda lib, F, x: x**1,
        lambda lib, F, x: x**2,
        lambda lib, F, x: x**3,
        lambda lib, F, x: x**0.5,
        lambda lib, F, x: x**1.5,
        lambda lib, F, x: x**-1,
        lambda lib, F, x: x**-2,
        lambda lib, F, x: x**2.5,
        lambda lib, F, x: x.sqrt(),
        lambda lib, F, x: 2.0**x,
        lambda lib, F, x: 0.0**x,
        lambda lib, F, x: (-2.0) ** x,
    ],
    ids=["0", "0.0", "1", "2", "3", "0.5", "1.5", "-1", "-2", "2.5-negative-base", "sqrt", "2^x", "0^x", "(-2)^x"],
)
def test_powers_at_zero_and_of_negative_bases(fn):
    assert_like_torch(fn, [0.0, -2.0, 3.0, NAN])


def test_tensor_powers_at_the_edges():
    assert_like_torch(lambda lib, F, a, b: a**b, BASES, EXPONENTS)


@pytest.mark.parametrize(
    "fn",
    [lambda x: x**-1, lambda x: x**0.5, lambda x: x**-0.5, lambda x: x.sqrt(), lambda x: x**x, lambda x: 0.0**x],
    ids=["-1", "0.5", "-0.5", "sqrt", "x^x", "0^x"],
)
def test_powers_at_zero_do_not_warn(fn):
    x = npgrad.tensor([0.0, -1.0], requires_grad=True)
    with np.errstate(all="raise"):  # a NumPy warning would raise here
        fn(x).sum().backward()


# -- zero-size tensors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda lib, F, x, w, b: F.linear(x, w, b), [(0, 4), (3, 4), (3,)]),
        (lambda lib, F, x, w, b: F.linear(x, w, b), [(2, 5, 0), (3, 0), (3,)]),
        (lambda lib, F, x, w, b: F.linear(x, w, b), [(2, 0, 4), (3, 4), (3,)]),
        (lambda lib, F, a, b: a @ b, [(0, 3), (3, 4)]),
        (lambda lib, F, a, b: a @ b, [(3, 0), (0, 4)]),
        (lambda lib, F, a, b: a @ b, [(2, 0, 3), (3, 4)]),
        (lambda lib, F, x: x.sum(), [(0, 3)]),
        (lambda lib, F, x: x.sum(0), [(0, 3)]),
        (lambda lib, F, x: x.sum(1), [(0, 3)]),
        (lambda lib, F, x: x.mean(), [(0, 3)]),
        (lambda lib, F, x: x.mean(0), [(0, 3)]),
        (lambda lib, F, x: x.mean(1), [(0, 3)]),
        (lambda lib, F, x: x.logsumexp(0), [(0, 3)]),
        (lambda lib, F, x: x.norm(), [(0, 3)]),
        (lambda lib, F, a, b: lib.cat([a, b], 0), [(0, 3), (2, 3)]),
        (lambda lib, F, a, b: lib.cat([a, b], 1), [(2, 0), (2, 3)]),
        (lambda lib, F, x, w, b: F.conv2d(x, w, b, padding=1), [(0, 2, 5, 5), (3, 2, 3, 3), (3,)]),
        (lambda lib, F, x, w: F.conv1d(x, w, stride=2), [(0, 2, 7), (3, 2, 3)]),
        (lambda lib, F, x, w: F.conv_transpose2d(x, w, stride=2), [(0, 2, 3, 3), (2, 3, 3, 3)]),
        (lambda lib, F, x: F.max_pool2d(x, 2), [(0, 2, 4, 4)]),
        (lambda lib, F, x: F.avg_pool2d(x, 2), [(0, 2, 4, 4)]),
    ],
    ids=[
        "linear-no-rows",
        "linear-no-features",
        "linear-3d-no-rows",
        "matmul-no-rows",
        "matmul-no-inner",
        "matmul-batched",
        "sum",
        "sum-dim0",
        "sum-dim1",
        "mean-nan",
        "mean-dim0-nan",
        "mean-dim1",
        "logsumexp",
        "norm",
        "cat-0",
        "cat-1",
        "conv2d",
        "conv1d",
        "conv_transpose2d",
        "max_pool2d",
        "avg_pool2d",
    ],
)
def test_zero_size_tensors(fn, shapes):
    rng = np.random.default_rng(0)
    assert_like_torch(fn, *[rng.standard_normal(shape) for shape in shapes])


# -- errors PyTorch raises too ----------------------------------------------------------------
@pytest.mark.parametrize(
    "input, target, message",
    [
        ([0.5, NAN], [0.0, 1.0], r"input must hold probabilities in \[0, 1\], got values from nan"),
        ([0.5, -0.1], [0.0, 1.0], r"input must hold probabilities in \[0, 1\], got values from -0.1"),
        ([0.5, 0.5], [0.0, 1.5], r"target must hold probabilities in \[0, 1\], got values from 0.0 to 1.5"),
        ([0.5, 0.5], [NAN, 1.0], r"target must hold probabilities in \[0, 1\], got values from nan"),
    ],
)
def test_binary_cross_entropy_refuses_what_pytorch_refuses(input, target, message):
    with pytest.raises(RuntimeError, match="should be between 0 and 1"):
        TF.binary_cross_entropy(torch.tensor(input), torch.tensor(target))
    with pytest.raises(ValueError, match="binary_cross_entropy: " + message):
        F.binary_cross_entropy(npgrad.tensor(input), npgrad.tensor(target))


def test_binary_cross_entropy_at_the_bounds_matches_pytorch():
    assert_like_torch(
        lambda lib, F, x, y: F.binary_cross_entropy(x, y),
        [0.0, 1.0, 0.0, 1.0, 0.5],
        [0.0, 1.0, 1.0, 0.0, 1.0],
        rtol=1e-8,
    )  # PyTorch's 1e-12 floor is a float32 1e-12
    assert math.isnan(F.binary_cross_entropy(npgrad.zeros(0), npgrad.zeros(0)).item())  # mean of nothing


X = np.zeros((1, 1, 5, 5))
WEIGHT = np.ones((1, 1, 3, 3))


IMPOSSIBLE_SIZES = [
    (lambda lib, F, x, w: F.max_pool2d(x, 0), r"max_pool2d: kernel_size must be positive, got kernel_size=\(0, 0\)"),
    (lambda lib, F, x, w: F.max_pool2d(x, -1), r"max_pool2d: kernel_size must be positive, got kernel_size=\(-1, -1\)"),
    (lambda lib, F, x, w: F.max_pool2d(x, 2, 0), r"max_pool2d: stride must be positive, got stride=\(0, 0\)"),
    (lambda lib, F, x, w: F.max_pool2d(x, 2, dilation=0), r"max_pool2d: dilation must be positive"),
    (
        lambda lib, F, x, w: F.max_pool2d(x, 2, 1, -1),
        r"max_pool2d: padding must be between 0 and half of "
        r"kernel_size, got padding=\(-1, -1\) for kernel_size=\(2, 2\)",
    ),
    (lambda lib, F, x, w: F.max_pool2d(x, 3, 1, 2), r"max_pool2d: padding must be between 0 and half of kernel_size"),
    (lambda lib, F, x, w: F.max_pool2d(x, 6), r"max_pool2d: input of shape \(1, 1, 5, 5\) is too small"),
    (lambda lib, F, x, w: F.max_pool1d(x[0], 0), r"max_pool1d: kernel_size must be positive, got kernel_size=\(0,\)"),
    (lambda lib, F, x, w: F.max_pool1d(x[0], 2, 0), r"max_pool1d: stride must be positive"),
    (lambda lib, F, x, w: F.avg_pool2d(x, 0), r"avg_pool2d: kernel_size must be positive"),
    (lambda lib, F, x, w: F.avg_pool2d(x, 2, 0), r"avg_pool2d: stride must be positive"),
    (lambda lib, F, x, w: F.avg_pool2d(x, 3, 1, 2), r"avg_pool2d: padding must be between 0 and half"),
    (lambda lib, F, x, w: F.avg_pool2d(x, 6), r"avg_pool2d: input of shape \(1, 1, 5, 5\) is too small"),
    (lambda lib, F, x, w: F.avg_pool2d(x, 2, divisor_override=0), r"avg_pool2d: divisor_override must not be zero"),
    (lambda lib, F, x, w: F.conv2d(x, w[:, :, :0]), r"conv2d: kernel_size must be positive, got kernel_size=\(0, 3\)"),
    (lambda lib, F, x, w: F.conv2d(x, w[:0]), r"conv2d: expected a weight with at least 1 row in dimension 0"),
    (lambda lib, F, x, w: F.conv2d(x, w, stride=0), r"conv2d: stride must be positive, got stride=\(0, 0\)"),
    (lambda lib, F, x, w: F.conv2d(x, w, stride=-1), r"conv2d: stride must be positive"),
    (lambda lib, F, x, w: F.conv2d(x, w, dilation=0), r"conv2d: dilation must be positive"),
    (lambda lib, F, x, w: F.conv2d(x, w, padding=-1), r"conv2d: padding must be non-negative, got padding=-1"),
    (lambda lib, F, x, w: F.conv2d(x[..., :2], w), r"conv2d: input of shape \(1, 1, 5, 2\) is too small"),
    (lambda lib, F, x, w: F.conv_transpose2d(x, w, stride=0), r"conv_transpose2d: stride must be positive"),
    (lambda lib, F, x, w: F.conv_transpose2d(x, w, dilation=0), r"conv_transpose2d: dilation must be positive"),
    (lambda lib, F, x, w: F.conv_transpose2d(x, w, padding=-1), r"conv_transpose2d: padding must be non-negative"),
    (
        lambda lib, F, x, w: F.conv_transpose2d(x, w, padding=5),
        r"conv_transpose2d: .* gives an empty output \(-3, -3\)",
    ),
]


@pytest.mark.parametrize(
    "call, message",
    IMPOSSIBLE_SIZES,
    ids=[f"{message.split(':')[0]}-{i}" for i, (_, message) in enumerate(IMPOSSIBLE_SIZES)],
)
def test_impossible_pooling_and_conv_sizes_are_clear_errors(call, message):
    with pytest.raises(RuntimeError):  # PyTorch refuses each of them too
        call(torch, TF, torch.tensor(X), torch.tensor(WEIGHT))
    with pytest.raises(ValueError, match=message):
        call(npgrad, F, npgrad.tensor(X), npgrad.tensor(WEIGHT))
