"""Conv, pooling, batch-norm and upsampling layers against torch.nn: PyTorch's state_dict loads and
gives the same outputs, input gradients and parameter gradients in train and eval mode;
BatchNorm's running statistics follow PyTorch's; reprs, default init and errors match."""

import math

import numpy as np
import pytest

import npgrad
from npgrad import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def distinct(*shape):
    """Well-separated values: no ties, so the max-pool gradient is unambiguous."""
    return RNG.permutation(math.prod(shape)).reshape(shape).astype(np.float32)


def load_from_torch(ng_module, th_module):
    ng_module.load_state_dict({k: v.detach().numpy() for k, v in th_module.state_dict().items()})
    return ng_module


def check_against_torch(ng, th, x, atol=1e-5):
    """Forward x through both, backward the same random upstream gradient, and compare the
    outputs, the input gradients and every parameter gradient (all float32)."""
    ng_x, th_x = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ng_out, th_out = ng(ng_x), th(th_x)
    assert ng_out.shape == tuple(th_out.shape) and ng_out.dtype == np.float32
    np.testing.assert_allclose(ng_out.detach().numpy(), th_out.detach().numpy(), rtol=1e-4, atol=atol)
    upstream = randn(*th_out.shape)
    (ng_out * npgrad.tensor(upstream)).sum().backward()
    (th_out * torch.from_numpy(upstream)).sum().backward()
    assert ng_x.grad.dtype == np.float32
    np.testing.assert_allclose(ng_x.grad, th_x.grad.numpy(), rtol=1e-4, atol=atol, err_msg="input grad")
    th_params = dict(th.named_parameters())
    for name, p in ng.named_parameters():
        assert p.grad.dtype == np.float32, name
        np.testing.assert_allclose(p.grad, th_params[name].grad.numpy(), rtol=1e-4, atol=atol, err_msg=name)


def check_state(ng, th):
    """Same state_dict keys in the same order, and the same values (buffers included)."""
    ng_state, th_state = ng.state_dict(), th.state_dict()
    assert list(ng_state) == list(th_state)
    for key, value in th_state.items():
        assert ng_state[key].shape == tuple(value.shape), key
        assert ng_state[key].dtype == value.numpy().dtype, key
        np.testing.assert_allclose(ng_state[key], value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


# ------------------------------------------------------------------ layers vs torch.nn
LAYERS = [
    ("Conv2d", (3, 4, 3), {}, (2, 3, 7, 6)),
    ("Conv2d", (4, 6, (3, 2)), {"stride": 2, "padding": (1, 2), "dilation": (2, 1), "groups": 2}, (2, 4, 9, 8)),
    ("Conv2d", (2, 3, 4), {"padding": "same", "bias": False}, (2, 2, 5, 6)),
    ("Conv2d", (4, 4, 3), {"groups": 4, "padding": "valid"}, (4, 6, 5)),  # depthwise, unbatched
    ("Conv1d", (3, 5, 3), {"stride": 2, "padding": 1}, (2, 3, 11)),
    ("ConvTranspose2d", (4, 3, 4), {"stride": 2, "padding": 1}, (2, 4, 5, 4)),
    ("ConvTranspose2d", (4, 6, (3, 2)), {"stride": (2, 3), "output_padding": (1, 2), "groups": 2}, (1, 4, 3, 4)),
    ("ConvTranspose1d", (3, 2, 3), {"stride": 3, "dilation": 2, "bias": False}, (2, 3, 5)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 7)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 2, 8, 8)),
    ("MaxPool1d", (3,), {"stride": 1, "dilation": 2}, (2, 3, 9)),
    ("AvgPool2d", ((3, 2),), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 7, 6)),
    ("AvgPool2d", (3,), {"stride": 2, "ceil_mode": True, "divisor_override": 5}, (2, 2, 8, 8)),
    ("AvgPool1d", (2,), {}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((3, 2),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 4, 4)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7)),
    ("InstanceNorm2d", (3,), {}, (2, 3, 5, 4)),
    ("InstanceNorm2d", (3,), {"affine": True}, (3, 5, 4)),  # unbatched
    ("InstanceNorm1d", (3,), {"affine": True, "eps": 1e-3}, (2, 3, 7)),
    ("Upsample", (), {"scale_factor": 2}, (2, 3, 3, 4)),
    ("Upsample", (), {"size": (5, 3)}, (2, 3, 3, 4)),
    ("Upsample", (), {"scale_factor": 2, "mode": "bilinear", "align_corners": True}, (2, 3, 3, 4)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS, ids=[f"{c[0]}{i}" for i, c in enumerate(LAYERS)])
@pytest.mark.parametrize("training", [True, False])
def test_layer_matches_torch(name, args, kwargs, shape, training):
    th = getattr(torch.nn, name)(*args, **kwargs).train(training)
    ng = load_from_torch(getattr(nn, name)(*args, **kwargs), th).train(training)
    assert repr(ng) == repr(th)
    assert [n for n, _ in ng.named_parameters()] == [n for n, _ in th.named_parameters()]
    x = distinct(*shape) if "MaxPool" in name else randn(*shape)
    check_against_torch(ng, th, x)


CONVS = [layer for layer in LAYERS if "Conv" in layer[0]]


@pytest.mark.parametrize("budget", [1, 500, 1500])
@pytest.mark.parametrize("name,args,kwargs,shape", CONVS, ids=[f"{c[0]}{i}" for i, c in enumerate(CONVS)])
def test_conv_made_a_chunk_at_a_time_matches_torch(monkeypatch, name, args, kwargs, shape, budget):
    """Large convolutions make im2col's columns a chunk of output positions at a time: whole
    rows (CHUNK_BYTES), or pieces of one row when a row is larger (ROW_PIECE_BYTES). With a budget
    of 1 byte every position is its own chunk; 500 and 1500 bytes make pieces of a few positions
    or whole rows, depending on the layer. The halos of neighbouring chunks overlap."""
    from npgrad.functional import conv as conv_ops

    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", budget)
    monkeypatch.setattr(conv_ops, "ROW_PIECE_BYTES", budget)
    th = getattr(torch.nn, name)(*args, **kwargs)
    check_against_torch(load_from_torch(getattr(nn, name)(*args, **kwargs), th), th, randn(*shape))


def test_chunks_of_output_positions_cover_each_position_once_in_order(monkeypatch):
    """Whole rows, as many as fit CHUNK_BYTES, while a row fits ROW_PIECE_BYTES; else pieces of
    one row, the last piece of a row shorter. The parts' positions, one after another, are all
    positions in row-major order."""
    from npgrad.functional import conv as conv_ops
    from npgrad.functional._windows import make_window

    window = make_window("test", 2, (1, 1, 5, 7), (3, 3), (1, 1), (1, 1), (0, 0), (0, 0))  # 3 x 5 outputs
    one_row = [((row, row + 1), (0, 5)) for row in range(3)]
    expected = {  # (CHUNK_BYTES, ROW_PIECE_BYTES) at 100 bytes a position
        (100 * 5, 100 * 5): one_row,
        (100, 100 * 5): one_row,
        (100 * 11, 100 * 11): [((0, 2), (0, 5)), ((2, 3), (0, 5))],
        (100, 100 * 2): [((row, row + 1), cols) for row in range(3) for cols in [(0, 2), (2, 4), (4, 5)]],
    }
    for (budget, piece), parts in expected.items():
        monkeypatch.setattr(conv_ops, "CHUNK_BYTES", budget)
        monkeypatch.setattr(conv_ops, "ROW_PIECE_BYTES", piece)
        assert [tuple(part) for part in conv_ops._parts(window, 100)] == parts
        positions = [
            (r, c) for part in conv_ops._parts(window, 100) for r in range(*part.rows) for c in range(*part.cols)
        ]
        assert positions == [(r, c) for r in range(3) for c in range(5)]


def test_small_cnn_with_batch_norm_matches_torch():
    """conv -> BN -> ReLU -> max pool -> conv -> BN -> avg pool -> flatten -> linear, from torch's
    weights. Conv outputs are (C, H, W, N) in memory while gradients coming back through Flatten
    are (N, C, H, W): this checks the ops downstream of a conv on such mixed layouts too."""

    def build(lib):
        n = lib.nn
        return n.Sequential(
            n.Conv2d(1, 4, 3, padding=1),
            n.BatchNorm2d(4),
            n.ReLU(),
            n.MaxPool2d(2),
            n.Conv2d(4, 6, 3, stride=2),
            n.BatchNorm2d(6),
            n.AvgPool2d(3, 2, 1),
            n.Flatten(),
            n.Linear(24, 3),
        )

    th = build(torch)
    ng = load_from_torch(build(npgrad), th)
    x = randn(5, 1, 14, 14)
    for training in (True, True, False):
        th.train(training), ng.train(training)
        for m in list(th.parameters()) + list(ng.parameters()):
            m.grad = None
        check_against_torch(ng, th, x, atol=1e-4)
        check_state(ng, th)


# ------------------------------------------------------------------ BatchNorm
@pytest.mark.parametrize(
    "name,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (3, 3, 4, 5))]
)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"momentum": None},
        {"momentum": 0.5, "eps": 1e-3},
        {"affine": False},
        {"bias": False},
        {"track_running_stats": False},
    ],
)
def test_batch_norm_train_then_eval_matches_torch(name, shape, options):
    th = getattr(torch.nn, name)(3, **options)
    ng = getattr(nn, name)(3, **options)
    assert repr(ng) == repr(th)
    if options.get("affine", True):  # non-trivial affine parameters
        with torch.no_grad():
            th.weight.copy_(torch.from_numpy(randn(3)))
            if th.bias is not None:
                th.bias.copy_(torch.from_numpy(randn(3)))
    load_from_torch(ng, th)
    for step in range(3):  # running statistics: exponential (or cumulative) averages, unbiased var
        th.zero_grad(), ng.zero_grad()
        check_against_torch(ng, th, randn(*shape) * (step + 1) + step)
        check_state(ng, th)
    th.eval(), ng.eval()
    th.zero_grad(), ng.zero_grad()
    check_against_torch(ng, th, randn(*shape))
    check_state(ng, th)


def test_batch_norm_buffers_and_parameters():
    bn = nn.BatchNorm2d(4)
    assert [k for k in bn.state_dict()] == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    assert bn.running_mean.dtype == np.float32 and bn.weight.dtype == np.float32
    np.testing.assert_array_equal(bn.weight.detach().numpy(), 1)
    np.testing.assert_array_equal(bn.running_var.detach().numpy(), 1)
    bn(npgrad.randn(2, 4, 3, 3))
    bn(npgrad.randn(2, 4, 3, 3))
    assert int(bn.num_batches_tracked.detach().numpy()) == 2
    with npgrad.no_grad():  # the running statistics update under no_grad too, as in PyTorch
        bn(npgrad.randn(2, 4, 3, 3))
    assert int(bn.num_batches_tracked.detach().numpy()) == 3
    bn.eval()
    bn(npgrad.randn(2, 4, 3, 3))
    assert int(bn.num_batches_tracked.detach().numpy()) == 3
    assert list(nn.BatchNorm1d(3, affine=False, track_running_stats=False).state_dict()) == []
    assert nn.BatchNorm1d(3, dtype=np.float64)(npgrad.randn(4, 3).double()).dtype == np.float64


def test_batch_norm_eval_output_dtype_stays_float32():
    bn = nn.BatchNorm2d(3).eval()
    out = bn(npgrad.randn(2, 3, 4, 4, requires_grad=True))
    out.sum().backward()
    assert out.dtype == np.float32 and bn.weight.grad.dtype == np.float32


# ------------------------------------------------------------------ conv details
@pytest.mark.parametrize(
    "layer,fan_in",
    [
        (nn.Conv2d(6, 8, 3, groups=2), 3 * 9),
        (nn.Conv1d(4, 2, 5), 4 * 5),
        (nn.ConvTranspose2d(4, 6, (2, 3), groups=2), 3 * 6),
    ],
)
def test_conv_default_init(layer, fan_in):
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias both give U(-1/sqrt(fan_in), ...)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert np.abs(layer.weight.detach().numpy()).max() <= bound and np.abs(layer.bias.detach().numpy()).max() <= bound
    assert np.abs(layer.weight.detach().numpy()).max() > 0.8 * bound


def test_conv_parameter_shapes_match_torch():
    for ng, th in [
        (nn.Conv2d(6, 8, (3, 2), groups=2), torch.nn.Conv2d(6, 8, (3, 2), groups=2)),
        (nn.ConvTranspose2d(6, 8, 4, groups=2), torch.nn.ConvTranspose2d(6, 8, 4, groups=2)),
        (nn.Conv1d(3, 5, 2, bias=False), torch.nn.Conv1d(3, 5, 2, bias=False)),
    ]:
        assert {k: v.shape for k, v in ng.state_dict().items()} == {
            k: tuple(v.shape) for k, v in th.state_dict().items()
        }
        assert ng.kernel_size == th.kernel_size and ng.stride == th.stride and ng.padding == th.padding


def test_first_layer_skips_the_input_gradient_and_stays_float32(monkeypatch):
    from npgrad.functional import conv as conv_ops

    calls, col2im = [], conv_ops.col2im
    monkeypatch.setattr(conv_ops, "col2im", lambda *args: calls.append(1) or col2im(*args))
    conv = nn.Conv2d(1, 4, 3, padding=1)
    out = conv(npgrad.randn(2, 1, 6, 6))  # the data needs no gradient: no col2im
    out.sum().backward()
    assert calls == []
    assert out.dtype == np.float32 and conv.weight.grad.dtype == np.float32 and conv.bias.grad.dtype == np.float32
    conv(npgrad.randn(2, 1, 6, 6, requires_grad=True)).sum().backward()
    assert calls == [1]


def test_conv_transpose_output_size_matches_torch():
    th = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    ng = load_from_torch(nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), th)
    x = randn(1, 2, 4, 4)
    for size in [(7, 7), (8, 7), (1, 3, 8, 8)]:
        np.testing.assert_allclose(
            ng(npgrad.tensor(x), output_size=size).detach().numpy(),
            th(torch.tensor(x), output_size=size).detach().numpy(),
            rtol=1e-5,
            atol=1e-6,
        )
    with pytest.raises(ValueError, match="valid sizes range from"):
        ng(npgrad.tensor(x), output_size=(9, 9))


def test_max_pool_return_indices_match_torch():
    x = distinct(2, 3, 7, 6)
    for args in [(2,), (3, 2, 1), ((2, 3), 1, 1, 2)]:
        ng_out, ng_idx = nn.MaxPool2d(*args, return_indices=True)(npgrad.tensor(x))
        th_out, th_idx = torch.nn.MaxPool2d(*args, return_indices=True)(torch.tensor(x))
        np.testing.assert_array_equal(ng_out.detach().numpy(), th_out.numpy())
        np.testing.assert_array_equal(ng_idx.detach().numpy(), th_idx.numpy())
        assert ng_idx.dtype == np.int64
    out, idx = nn.MaxPool1d(3, 2, return_indices=True)(npgrad.tensor(x[0]))
    _, th_idx = torch.nn.MaxPool1d(3, 2, return_indices=True)(torch.tensor(x[0]))
    np.testing.assert_array_equal(idx.detach().numpy(), th_idx.numpy())


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = npgrad.zeros(1, 1, 4, 4, requires_grad=True)  # every window is a tie, as after a ReLU
    npgrad.nn.functional.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4), np.float32)
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad[0, 0], expected)


# ------------------------------------------------------------------ Dropout2d
def test_dropout2d_drops_whole_channels():
    layer = nn.Dropout2d(0.5)
    assert repr(layer) == repr(torch.nn.Dropout2d(0.5))
    x = npgrad.ones(8, 16, 3, 3, requires_grad=True)
    out = layer(x)
    per_channel = out.detach().numpy().reshape(8, 16, 9)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # all or nothing per channel
    assert set(np.unique(per_channel)) <= {0.0, 2.0} and 0.2 < (per_channel == 0).mean() < 0.8
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.detach().numpy())  # dL/dx = mask
    assert out.dtype == np.float32
    layer.eval()
    assert layer(x) is x


# ------------------------------------------------------------------ errors
def test_conv_channel_mismatch_names_the_layer():
    layer = nn.Conv2d(3, 16, 3)
    with pytest.raises(ValueError) as error:
        layer(npgrad.zeros(8, 1, 28, 28))
    assert str(error.value) == (
        "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1)): expected input with 3 "
        "channels, got input of shape (8, 1, 28, 28)"
    )


@pytest.mark.parametrize(
    "layer,shape,expected",
    [
        (nn.Conv2d(3, 16, 5), (2, 3, 4, 4), "Conv2d(3, 16, kernel_size=(5, 5)"),
        (nn.Conv1d(2, 4, 3, dilation=3), (2, 2, 6), "Conv1d(2, 4"),
        (nn.MaxPool2d(3), (2, 3, 2, 5), "MaxPool2d(kernel_size=3"),
        (nn.AvgPool1d(4), (2, 3, 3), "AvgPool1d(kernel_size=(4,)"),
    ],
)
def test_input_too_small_for_the_kernel(layer, shape, expected):
    with pytest.raises(ValueError) as error:
        layer(npgrad.zeros(*shape))
    message = str(error.value)
    assert message.startswith(expected) and str(shape) in message and "too small" in message


@pytest.mark.parametrize(
    "layer,shape",
    [
        (nn.Conv2d(3, 4, 3), (3, 28)),
        (nn.Conv2d(3, 4, 3), (1, 2, 3, 8, 8)),
        (nn.Conv1d(3, 4, 3), (2, 3, 8, 8)),
        (nn.ConvTranspose2d(3, 4, 3), (3, 8)),
        (nn.MaxPool2d(2), (8, 8)),
        (nn.AvgPool2d(2), (8,)),
        (nn.BatchNorm2d(3), (2, 3, 8)),
        (nn.BatchNorm1d(3), (2, 3, 4, 4)),
    ],
)
def test_wrong_number_of_dims_names_the_layer_and_shapes(layer, shape):
    with pytest.raises(ValueError) as error:
        layer(npgrad.zeros(*shape))
    message = str(error.value)
    assert message.startswith(repr(layer)) and str(shape) in message and "-D" in message


def test_other_errors():
    with pytest.raises(ValueError, match="expected input with 3 channels, got input of shape"):
        nn.BatchNorm2d(3)(npgrad.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="expected input with 4 channels"):
        nn.ConvTranspose2d(4, 2, 3)(npgrad.zeros(1, 2, 5, 5))
    with pytest.raises(ValueError, match="strided convolutions"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)(npgrad.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(npgrad.zeros(1, 3))
    with pytest.raises(ValueError, match="half of kernel_size"):
        npgrad.nn.functional.max_pool2d(npgrad.zeros(1, 1, 8, 8), 2, padding=2)
    with pytest.raises(TypeError, match="same floating dtype, got float64, float32"):
        nn.Conv2d(1, 2, 3)(npgrad.zeros(1, 1, 5, 5, dtype=np.float64))
    with pytest.raises(ValueError, match="mode must be one of"):
        npgrad.nn.functional.interpolate(npgrad.zeros(1, 1, 2, 2), scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="mode='bilinear' expects a 4-D input"):
        npgrad.nn.functional.interpolate(npgrad.zeros(1, 1, 2), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match=r"fold: expected input \(N, C \* 6, 15\)"):
        npgrad.nn.functional.fold(npgrad.zeros(1, 12, 12), (6, 5), (2, 3), dilation=(2, 1), padding=1, stride=(2, 1))
    with pytest.raises(ValueError, match="no running statistics for instance norm"):
        nn.InstanceNorm2d(3, track_running_stats=True)
    with pytest.raises(ValueError, match="expected a 4-D input"):
        nn.InstanceNorm2d(3)(npgrad.zeros(2, 3))
    with pytest.raises(ValueError, match="align_corners can only be set"):
        npgrad.nn.functional.interpolate(npgrad.zeros(1, 1, 2, 2), scale_factor=2, align_corners=True)


def test_conv2d_is_unfold_then_a_matrix_product():
    """unfold's docstring: (W.view(O, -1) @ unfold(x)).view(N, O, OH, OW) is conv2d(x, W)."""
    x, weight = npgrad.tensor(randn(2, 3, 7, 6)), npgrad.tensor(randn(4, 3, 3, 2))
    columns = npgrad.nn.functional.unfold(x, (3, 2), padding=1, stride=2)
    as_product = (weight.reshape(4, -1) @ columns).reshape(2, 4, 4, 4)
    conv = npgrad.nn.functional.conv2d(x, weight, padding=1, stride=2)
    np.testing.assert_allclose(as_product.numpy(), conv.numpy(), rtol=1e-5, atol=1e-5)
