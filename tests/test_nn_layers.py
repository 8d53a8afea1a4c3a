"""The standard layers against torch.nn: load PyTorch's weights, compare outputs and gradients."""

import math

import numpy as np
import pytest

import npgrad
from npgrad import nn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def run_both(ng_module, th_module, *inputs, grad=(True,)):
    """Forward both modules on the same float32 inputs (inputs[i] requires grad when grad[i]),
    backward a random upstream gradient, and return (ng_out, th_out, ng_inputs, th_inputs)."""
    requires = list(grad) + [False] * (len(inputs) - len(grad))
    ng_in = [npgrad.tensor(x, requires_grad=r) for x, r in zip(inputs, requires)]
    th_in = [torch.tensor(x, requires_grad=r) for x, r in zip(inputs, requires)]
    ng_out, th_out = ng_module(*ng_in), th_module(*th_in)
    assert ng_out.shape == tuple(th_out.shape)
    assert ng_out.dtype == np.float32
    np.testing.assert_allclose(ng_out.detach().numpy(), th_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    if th_out.requires_grad:
        upstream = randn(*th_out.shape)
        (ng_out * npgrad.tensor(upstream)).sum().backward()
        (th_out * torch.from_numpy(upstream)).sum().backward()
        for n, t in zip(ng_in, th_in):
            if t.requires_grad:
                assert n.grad.dtype == np.float32
                np.testing.assert_allclose(n.grad, t.grad.numpy(), rtol=1e-5, atol=1e-6)
    return ng_out, th_out, ng_in, th_in


def load_from_torch(ng_module, th_module):
    ng_module.load_state_dict({k: v.detach().numpy() for k, v in th_module.state_dict().items()})
    return ng_module


# ------------------------------------------------------------------ Linear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5), (5,)])
def test_linear_matches_torch(bias, shape):
    th = torch.nn.Linear(5, 4, bias=bias)
    ng = load_from_torch(nn.Linear(5, 4, bias=bias), th)
    assert [n for n, _ in ng.named_parameters()] == [n for n, _ in th.named_parameters()]
    run_both(ng, th, randn(*shape))
    for (name, p), (_, q) in zip(ng.named_parameters(), th.named_parameters()):
        assert p.grad.dtype == np.float32, name
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=name)


def test_linear_init_shapes_bounds_and_repr():
    layer = nn.Linear(100, 30)
    assert layer.weight.shape == (30, 100) and layer.bias.shape == (30,)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    bound = 1 / math.sqrt(100)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert (
        np.abs(layer.weight.detach().numpy()).max() <= bound
        and np.abs(layer.weight.detach().numpy()).max() > 0.95 * bound
    )
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    assert abs(layer.weight.detach().numpy().std() - bound / math.sqrt(3)) < 0.05 * bound
    assert repr(layer) == repr(torch.nn.Linear(100, 30))
    assert repr(nn.Linear(2, 1, bias=False)) == repr(torch.nn.Linear(2, 1, bias=False))
    assert nn.Linear(2, 3, dtype=np.float64).weight.dtype == np.float64


def test_linear_init_repeats_with_manual_seed():
    npgrad.manual_seed(5)
    a = nn.Linear(4, 3)
    npgrad.manual_seed(5)
    b = nn.Linear(4, 3)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    assert not np.array_equal(a.weight.detach().numpy(), nn.Linear(4, 3).weight.detach().numpy())


def test_linear_wrong_input_names_the_layer():
    layer = nn.Linear(784, 10)
    with pytest.raises(ValueError) as error:
        layer(npgrad.zeros(32, 100))
    message = str(error.value)
    assert message.startswith("Linear(in_features=784, out_features=10")
    assert "784" in message and "(32, 100)" in message


# ------------------------------------------------------------------ shape layers
def test_flatten_unflatten_identity_match_torch():
    x = randn(2, 3, 4, 5)
    for ng, th in [
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Flatten(0, 2), torch.nn.Flatten(0, 2)),
        (nn.Unflatten(2, (2, 2)), torch.nn.Unflatten(2, (2, 2))),
        (nn.Identity(54, unused=1), torch.nn.Identity(54, unused=1)),
    ]:
        run_both(ng, th, x)
        assert repr(ng) == repr(th)
    with pytest.raises(ValueError, match=r"Unflatten\(dim=1"):
        nn.Unflatten(1, (2, 2))(npgrad.zeros(2, 5))


# ------------------------------------------------------------------ activations
ACTIVATIONS = [
    ("ReLU", (), {}),
    ("ReLU", (), {"inplace": True}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("ELU", (), {}),
    ("ELU", (0.5,), {}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (2.0, 1.0), {}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (-1,), {}),
    ("LogSoftmax", (), {"dim": 1}),
    ("LogSoftmax", (0,), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 0.5), {}),
    ("ReLU6", (), {}),
    ("LogSigmoid", (), {}),
    ("Mish", (), {}),
    ("GLU", (), {"dim": 1}),
    ("Softmin", (), {"dim": 2}),
]


@pytest.mark.parametrize("name,args,kwargs", ACTIVATIONS, ids=[f"{a[0]}{i}" for i, a in enumerate(ACTIVATIONS)])
def test_activation_matches_torch(name, args, kwargs):
    ng, th = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ng) == repr(th)
    x = randn(4, 6, 3) * 3
    # torch's inplace ReLU refuses a leaf that requires grad: compare the forward only
    run_both(ng, th, x, grad=(not kwargs.get("inplace"),))


def test_softmax_without_dim_is_an_error():
    with pytest.raises(TypeError, match="dim"):
        nn.Softmax()(npgrad.randn(3, 4))


# ------------------------------------------------------------------ losses
def class_targets(classes, *shape):
    return RNG.integers(0, classes, shape)


def probabilities(*shape):
    return RNG.uniform(0.05, 0.95, shape).astype(np.float32)


WEIGHT = np.array([0.5, 2.0, 1.0, 1.5], np.float32)
SIGNS = np.array([1, -1, -1, 1, 1, -1], np.float32)  # pairs to rank higher or lower / to be alike or not

LOSSES = [
    ("MSELoss", {}, lambda: (randn(5, 3), randn(5, 3))),
    ("MSELoss", {"reduction": "sum"}, lambda: (randn(5, 3), randn(5, 3))),
    ("L1Loss", {"reduction": "none"}, lambda: (randn(5, 3), randn(5, 3))),
    ("CrossEntropyLoss", {}, lambda: (randn(6, 4), class_targets(4, 6))),
    (
        "CrossEntropyLoss",
        {"weight": WEIGHT, "ignore_index": 1, "label_smoothing": 0.1},
        lambda: (randn(6, 4), class_targets(4, 6)),
    ),
    ("CrossEntropyLoss", {"reduction": "sum"}, lambda: (randn(2, 4, 3), class_targets(4, 2, 3))),
    ("NLLLoss", {"weight": WEIGHT}, lambda: (randn(6, 4), class_targets(4, 6))),
    ("BCELoss", {}, lambda: (probabilities(5, 2), probabilities(5, 2))),
    ("BCELoss", {"weight": np.array([0.3, 2.0], np.float32)}, lambda: (probabilities(5, 2), probabilities(5, 2))),
    ("BCEWithLogitsLoss", {"pos_weight": np.array([3.0, 0.5], np.float32)}, lambda: (randn(5, 2), probabilities(5, 2))),
    ("KLDivLoss", {"reduction": "batchmean"}, lambda: (np.log(probabilities(4, 3)), probabilities(4, 3))),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, lambda: (randn(4, 3), randn(4, 3))),
    ("HuberLoss", {"delta": 0.5}, lambda: (randn(5, 3), randn(5, 3))),
    ("MarginRankingLoss", {"margin": 0.3}, lambda: (randn(6), randn(6), SIGNS)),
    ("TripletMarginLoss", {"margin": 2.0, "swap": True}, lambda: (randn(6, 3), randn(6, 3), randn(6, 3))),
    ("CosineEmbeddingLoss", {"margin": 0.2, "reduction": "sum"}, lambda: (randn(6, 3), randn(6, 3), SIGNS)),
]


@pytest.mark.parametrize("name,kwargs,make", LOSSES, ids=[f"{c[0]}{i}" for i, c in enumerate(LOSSES)])
def test_loss_matches_torch(name, kwargs, make):
    th_kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ng, th = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**th_kwargs)
    assert repr(ng) == repr(th)
    assert list(ng.state_dict()) == list(th.state_dict())
    run_both(ng, th, *make())


# ------------------------------------------------------------------ dropout
def test_dropout_train_zeroes_about_p_and_scales_the_rest():
    layer = nn.Dropout(0.3)
    x = npgrad.ones(200, 500)
    out = layer(x).detach().numpy()
    kept = out != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01  # 100k draws: std of the fraction is ~0.0015
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
    assert out.dtype == np.float32


def test_dropout_eval_is_identity_and_repr_matches_torch():
    layer = nn.Dropout(0.3).eval()
    x = npgrad.randn(4, 5)
    np.testing.assert_array_equal(layer(x).detach().numpy(), x.detach().numpy())
    assert repr(layer) == repr(torch.nn.Dropout(0.3)) == "Dropout(p=0.3, inplace=False)"
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_follows_the_models_mode():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.9))
    x = npgrad.randn(50, 3)
    model.eval()
    np.testing.assert_allclose(model(x).detach().numpy(), model[0](x).detach().numpy(), rtol=1e-6)
    model.train()
    assert (model(x).detach().numpy() == 0).mean() > 0.7


def test_linear_takes_pytorchs_device_argument_in_its_place():
    layer = nn.Linear(3, 4, True, "cpu", npgrad.float64)  # (in, out, bias, device, dtype) as torch.nn.Linear
    assert layer.weight.dtype == npgrad.float64
    with pytest.raises(RuntimeError, match="Linear on device 'cuda'"):
        nn.Linear(3, 4, device="cuda")
