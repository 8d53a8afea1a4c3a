"""The textbook tier equals the fast ops on the same inputs: outputs and every input gradient
(float64, so that only rounding separates the two), and the textbook update rules step for step
equal to npgrad.optim's. Their gradchecks and PyTorch parity are in tests/registry/textbook.py."""

import numpy as np
import pytest

import npgrad
import npgrad.functional.recurrent as R
import npgrad.nn.functional as F
from npgrad import optim, textbook as T

N, I, H = 3, 4, 5  # batch, input size, hidden size
LABELS = np.array([0, 3, 1, 1, 2, 3])


def lstm_cell(x, h, c, *weights):
    return R.lstm_cell(x, (h, c), *weights)


def seeded(fn, **options):
    """fn with npgrad's generator reseeded first, so that both tiers draw the same dropout mask."""

    def run(*inputs):
        npgrad.manual_seed(0)
        return fn(*inputs, **options)

    return run


# name: (textbook op, fast op, inputs: a shape for a float input that requires grad, or an array)
PAIRS = {
    "linear": (T.LinearFunction.apply, F.linear, [(N, I), (H, I), (H,)]),
    "relu": (T.ReLUFunction.apply, F.relu, [(N, I)]),
    "sigmoid": (T.SigmoidFunction.apply, F.sigmoid, [(N, I)]),
    "tanh": (T.TanhFunction.apply, F.tanh, [(N, I)]),
    "softmax_cross_entropy": (T.SoftmaxCrossEntropyFunction.apply, F.cross_entropy, [(6, 4), LABELS]),
    "conv2d_loops": (T.Conv2dLoopsFunction.apply, F.conv2d, [(2, 3, 7, 6), (4, 3, 3, 2), (4,)]),
    "conv2d_im2col": (T.Conv2dIm2colFunction.apply, F.conv2d, [(2, 3, 7, 6), (4, 3, 3, 2), (4,)]),
    "max_pool2d": (lambda x: T.MaxPool2dFunction.apply(x, k=2), lambda x: F.max_pool2d(x, 2), [(2, 3, 7, 6)]),
    "batch_norm": (
        T.BatchNormFunction.apply,
        lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
        [(8, I), (I,), (I,)],
    ),
    "layer_norm": (T.LayerNormFunction.apply, lambda x, g, b: F.layer_norm(x, (6,), g, b), [(N, 6), (6,), (6,)]),
    "dropout": (seeded(T.DropoutFunction.apply, p=0.3), seeded(F.dropout, p=0.3), [(4, 6)]),
    "rnn_step": (T.RNNStepFunction.apply, R.rnn_tanh_cell, [(N, I), (N, H), (H, I), (H, H), (H,), (H,)]),
    "lstm_step": (
        T.LSTMStepFunction.apply,
        lstm_cell,
        [(N, I), (N, H), (N, H), (4 * H, I), (4 * H, H), (4 * H,), (4 * H,)],
    ),
    "gru_step": (T.GRUStepFunction.apply, R.gru_cell, [(N, I), (N, H), (3 * H, I), (3 * H, H), (3 * H,), (3 * H,)]),
    "attention": (T.AttentionFunction.apply, F.scaled_dot_product_attention, [(2, 3, 4), (2, 5, 4), (2, 5, 6)]),
}


def make_inputs(specs, seed=0):
    rng = np.random.default_rng(seed)
    return [
        npgrad.tensor(s)
        if isinstance(s, np.ndarray)
        else npgrad.tensor(rng.standard_normal(s), dtype=npgrad.float64, requires_grad=True)
        for s in specs
    ]


def outputs_and_grads(op, specs):
    """The op's outputs and the gradients of its float inputs for a fixed random upstream gradient."""
    inputs = make_inputs(specs)
    outputs = op(*inputs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    rng = np.random.default_rng(1)
    loss = sum((o * npgrad.tensor(rng.standard_normal(o.shape))).sum() for o in outputs)
    loss.backward()
    return [o.detach().numpy() for o in outputs], [np.asarray(x.grad) for x in inputs if x.requires_grad]


@pytest.mark.parametrize("name", PAIRS)
def test_textbook_op_equals_fast_op(name):
    textbook, fast, specs = PAIRS[name]
    (ours, our_grads), (theirs, their_grads) = outputs_and_grads(textbook, specs), outputs_and_grads(fast, specs)
    assert len(ours) == len(theirs) and len(our_grads) == len(their_grads)
    for a, b in zip(ours + our_grads, theirs + their_grads):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_max_pool_gives_a_tied_window_gradient_to_its_first_maximum_as_the_fast_op():
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, :, 2:] = 1.0  # the second window ties at 1 in all four pixels
    grads = []
    for op in (lambda t: T.MaxPool2dFunction.apply(t, k=2), lambda t: F.max_pool2d(t, 2)):
        t = npgrad.tensor(x, requires_grad=True)
        op(t).sum().backward()
        grads.append(np.asarray(t.grad))
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0].sum() == 2.0


# name: (textbook rule and its hyper-parameters, npgrad.optim's with the same settings)
OPTIMIZERS = {
    "sgd": (lambda p: T.optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1)),
    "momentum": (lambda p: T.optim.Momentum(p, lr=0.1, mu=0.9), lambda p: optim.SGD(p, lr=0.1, momentum=0.9)),
    "adagrad": (lambda p: T.optim.Adagrad(p, lr=0.1), lambda p: optim.Adagrad(p, lr=0.1)),
    "rmsprop": (lambda p: T.optim.RMSprop(p, lr=0.01), lambda p: optim.RMSprop(p, lr=0.01)),
    "adam": (lambda p: T.optim.Adam(p, lr=0.01), lambda p: optim.Adam(p, lr=0.01)),
}


def trajectory(make_optimizer, steps=6):
    """The parameters after each step of minimising a small softmax regression."""
    rng = np.random.default_rng(0)
    x, y = npgrad.tensor(rng.standard_normal((16, 5))), npgrad.tensor(rng.integers(0, 3, 16))
    w = npgrad.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    b = npgrad.tensor(np.zeros(3), requires_grad=True)
    opt, history = make_optimizer([w, b]), []
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(F.linear(x, w, b), y).backward()
        opt.step()
        history.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()]))
    return np.array(history)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_textbook_update_equals_npgrad_optim_step_for_step(name):
    textbook, fast = OPTIMIZERS[name]
    ours, theirs = trajectory(textbook), trajectory(fast)
    assert np.abs(ours[-1] - ours[0]).max() > 1e-3  # the parameters did move
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
