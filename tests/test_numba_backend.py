"""npgrad.backends.numba: the compiled loops give the NumPy code's numbers to the last bit.

Each check runs an op twice on the same inputs, with the compiled loops and without, and
compares every output and gradient bit for bit (NaN, -0.0 and float64 included; a NaN's own sign
bit aside). The inputs are big enough (npgrad.backends.numba.MIN_SIZE) for the loops to be used."""

import subprocess
import sys

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F
from npgrad import nn, optim
from npgrad.backends import numba as numba_backend
from npgrad.functional import conv as conv_ops

pytest.importorskip("numba")


def identical(a, b):
    """The same dtype and numbers, NaN where NaN and the sign of every zero; not a NaN's sign bit,
    which IEEE arithmetic leaves to the order of the operands (a compiled loop may propagate the
    other operand's NaN)."""
    if a.dtype != b.dtype or not np.array_equal(a, b, equal_nan=True):
        return False
    numbers = ~np.isnan(a) if a.dtype.kind == "f" else np.ones(a.shape, bool)
    return np.array_equal(np.signbit(a[numbers]), np.signbit(b[numbers]))


def both_ways(monkeypatch, run):
    """run() with the compiled loops and with NumPy; returns the two lists of arrays."""
    monkeypatch.setattr(numba_backend, "enabled", True)
    compiled = run()
    monkeypatch.setattr(numba_backend, "enabled", False)
    return compiled, run()


def forward_backward(op, *inputs, seed=1):
    tensors = [npgrad.tensor(x, requires_grad=True) for x in inputs]
    y = op(*tensors)
    y.backward(npgrad.tensor(np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype)))
    return [y.detach().numpy()] + [np.asarray(t.grad) for t in tensors]


def assert_identical(compiled, numpy_results):
    assert len(compiled) == len(numpy_results)
    for a, b in zip(compiled, numpy_results):
        assert identical(a, b), f"max difference {np.nanmax(np.abs(a - b))}"


def maps(shape, dtype=np.float32, channels_last_memory=False, seed=0):
    """Random maps with a 0.0, a -0.0 and a NaN; optionally laid out as (C, H, W, N) in memory, as conv outputs are."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    x.reshape(-1)[:3] = [0.0, -0.0, np.nan]
    if channels_last_memory:
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels_last_memory", [False, True])
@pytest.mark.parametrize("name", ["relu", "leaky_relu", "gelu_tanh"])
def test_activations(monkeypatch, name, channels_last_memory, dtype):
    x = maps((64, 16, 12, 12), dtype, channels_last_memory)
    op = {
        "relu": F.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    }[name]
    assert_identical(*both_ways(monkeypatch, lambda: forward_backward(op, x)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels_last_memory", [False, True])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(monkeypatch, training, channels_last_memory, dtype):
    x = maps((64, 16, 12, 12), dtype, channels_last_memory)
    x[np.isnan(x)] = 1.0  # a NaN would make every statistic of its channel NaN
    rng = np.random.default_rng(2)
    weight, bias = rng.standard_normal(16).astype(dtype), rng.standard_normal(16).astype(dtype)
    mean, var = rng.standard_normal(16).astype(dtype), rng.uniform(0.5, 2, 16).astype(dtype)

    def run():
        def op(x, w, b):
            return F.batch_norm(x, mean.copy(), var.copy(), w, b, training=training)

        return forward_backward(op, x, weight, bias)

    assert_identical(*both_ways(monkeypatch, run))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm(monkeypatch, affine, dtype):
    x = np.random.default_rng(6).standard_normal((16, 64, 96)).astype(dtype)
    parts = {"both": ("weight", "bias"), "weight": ("weight",), "none": ()}[affine]
    rng = np.random.default_rng(7)
    inputs = [x] + [rng.standard_normal(96).astype(dtype) for _ in parts]

    def op(x, *affine_parts):
        return F.layer_norm(x, (96,), **dict(zip(parts, affine_parts)))

    assert_identical(*both_ways(monkeypatch, lambda: forward_backward(op, *inputs)))


def test_group_norm(monkeypatch):
    x = np.random.default_rng(8).standard_normal((32, 16, 12, 12)).astype(np.float32)
    weight, bias = np.random.default_rng(9).standard_normal((2, 16)).astype(np.float32)
    op = lambda x, w, b: F.group_norm(x, 4, w, b)  # noqa: E731
    assert_identical(*both_ways(monkeypatch, lambda: forward_backward(op, x, weight, bias)))


POOLS = [  # tiling windows, overlapping ones with padding, stride 1, dilation, ceil_mode
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, stride=1),
    dict(kernel_size=2, dilation=2),
    dict(kernel_size=3, stride=2, ceil_mode=True),
]


@pytest.mark.parametrize("channels_last_memory", [False, True])
@pytest.mark.parametrize("options", POOLS)
def test_max_pool(monkeypatch, options, channels_last_memory):
    x = maps((64, 16, 13, 13), np.float32, channels_last_memory)
    x[1] = np.round(x[1])  # ties: the first offset keeps them
    assert_identical(*both_ways(monkeypatch, lambda: forward_backward(lambda t: F.max_pool2d(t, **options), x)))


CONVOLUTIONS = [  # (op, input shape, weight shape, options): strides, dilation, transposed, 1-D, one output channel
    (F.conv2d, (64, 16, 14, 14), (32, 16, 3, 3), dict(padding=1)),
    (F.conv2d, (64, 16, 14, 14), (32, 16, 4, 4), dict(stride=2, padding=1)),
    (F.conv2d, (32, 8, 20, 20), (16, 4, 3, 3), dict(dilation=2, padding=2, groups=2)),
    (F.conv_transpose2d, (64, 32, 7, 7), (32, 16, 4, 4), dict(stride=2, padding=1)),
    (F.conv_transpose2d, (64, 32, 14, 14), (32, 1, 4, 4), dict(stride=2, padding=1)),
    (F.conv1d, (64, 16, 200), (32, 16, 5), dict(stride=2, padding=2)),
]


# 300 kB: the rows of four of these in pieces of 3 to 14 positions, large enough for the compiled loops
@pytest.mark.parametrize("chunk_bytes", [None, 300_000])
@pytest.mark.parametrize("op, input_shape, weight_shape, options", CONVOLUTIONS)
def test_convolutions(monkeypatch, op, input_shape, weight_shape, options, chunk_bytes):
    if chunk_bytes is not None:
        monkeypatch.setattr(conv_ops, "CHUNK_BYTES", chunk_bytes)
        monkeypatch.setattr(conv_ops, "ROW_PIECE_BYTES", chunk_bytes)
    rng = np.random.default_rng(3)
    x, weight = (
        rng.standard_normal(input_shape).astype(np.float32),
        rng.standard_normal(weight_shape).astype(np.float32),
    )
    assert_identical(*both_ways(monkeypatch, lambda: forward_backward(lambda x, w: op(x, w, **options), x, weight)))


def test_convolution_float64(monkeypatch):
    rng = np.random.default_rng(4)
    x, weight = rng.standard_normal((16, 8, 16, 16)), rng.standard_normal((8, 8, 3, 3))
    run = lambda: forward_backward(lambda x, w: F.conv2d(x, w, stride=2, padding=1), x, weight)  # noqa: E731
    assert_identical(*both_ways(monkeypatch, run))


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.Adam(ps, lr=1e-2),
        lambda ps: optim.AdamW(ps, lr=1e-2, weight_decay=0.1),
        lambda ps: optim.Adam(ps, lr=1e-2, weight_decay=0.1, maximize=True),
        lambda ps: optim.Adam(ps, lr=1e-2, amsgrad=True),
    ],
    ids=["adam", "adamw", "adam-l2-maximize", "amsgrad"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam(monkeypatch, make, dtype):
    def run():
        rng = np.random.default_rng(5)
        shapes = [(256, 300), (7,)]  # 76,800 numbers: NumPy's passes run in two blocks
        params = [npgrad.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
        optimizer = make(params)
        for _ in range(4):
            for p in params:
                p.grad = npgrad.tensor(rng.standard_normal(p.shape).astype(dtype))
            optimizer.step()
        states = [s[k] for s in optimizer.state.values() for k in ("exp_avg", "exp_avg_sq")]
        return [p.detach().numpy() for p in params] + states

    assert_identical(*both_ways(monkeypatch, run))


def test_a_training_run_is_the_same(monkeypatch):
    """Conv, batch norm, ReLU, pooling and Adam together, a few steps: the same weights."""

    def run():
        npgrad.manual_seed(0)
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.LeakyReLU(0.2), nn.Conv2d(16, 32, 4, stride=2, padding=1),
            nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
        )  # fmt: skip
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        x, y = npgrad.randn(64, 1, 28, 28), npgrad.randint(0, 10, (64,))
        for _ in range(3):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        return [p.detach().numpy() for p in model.parameters()]

    assert_identical(*both_ways(monkeypatch, run))


def test_small_arrays_and_the_switch_use_numpy(monkeypatch):
    monkeypatch.setattr(numba_backend, "enabled", True)
    assert numba_backend.kernels(np.zeros(numba_backend.MIN_SIZE, np.float32)) is not None
    assert numba_backend.kernels(np.zeros(numba_backend.MIN_SIZE - 1, np.float32)) is None
    monkeypatch.setattr(numba_backend, "enabled", False)
    assert numba_backend.kernels(np.zeros(10**6, np.float32)) is None


def test_float16_runs_numpy(monkeypatch):
    """The loops are for float32 and float64; float16 takes the NumPy code, and gives its results."""
    x = (np.random.default_rng(10).standard_normal((64, 16, 12, 12)) * 3).astype(np.float16)
    ops = [
        F.relu,
        lambda t: F.leaky_relu(t, 0.2),
        lambda t: F.max_pool2d(t, 2),
        lambda t: F.gelu(t, approximate="tanh"),
    ]
    for op in ops:
        assert_identical(*both_ways(monkeypatch, lambda op=op: [op(npgrad.from_numpy(x)).numpy()]))
    assert numba_backend.kernels(x) is None
    assert numba_backend.kernels(np.zeros(10**6, np.float32), np.zeros(10**6, np.float64)) is None  # mixed dtypes


def test_environment_switch():
    code = "from npgrad.backends import numba as b; print(b.enabled, b.kernels() is None)"
    out = subprocess.run(
        [sys.executable, "-c", code], env={"NPGRAD_NUMBA": "0", "PATH": ""}, capture_output=True, text=True
    )
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_flat_views():
    a = np.zeros((4, 5, 6), np.float32)
    views = numba_backend.flat(a, np.ones_like(a))
    assert views is not None and views[0].base is not None and np.shares_memory(views[0], a)
    t = a.transpose(2, 0, 1)  # dense, in another order: flat in memory order
    assert numba_backend.flat(t, np.empty_like(t)) is not None
    assert numba_backend.flat(a[:, ::2]) is None  # not one dense block
    assert numba_backend.flat(a, np.zeros((4, 5, 6), np.float32, order="F")) is None  # different layouts


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm(monkeypatch, dtype):
    rng = np.random.default_rng(11)
    lstm = nn.LSTM(8, 16, batch_first=True).to(dtype=dtype)
    x = rng.standard_normal((5, 7, 8)).astype(dtype)

    def run():
        lstm.zero_grad()
        out = forward_backward(lambda t: lstm(t)[0], x)
        return out + [np.asarray(p.grad) for p in lstm.parameters()]

    assert_identical(*both_ways(monkeypatch, run))
