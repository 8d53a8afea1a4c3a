"""RNN, LSTM, GRU, their cells, Embedding, pad_sequence and packed sequences against torch.nn:
PyTorch's state_dict loads and gives the same outputs, final states, input gradients and
parameter gradients, for every configuration (layers, directions, batch_first, initial state,
variable lengths compared with packed sequences, packed sequences themselves); dropout, default
init, reprs and errors."""

import itertools
import math

import numpy as np
import pytest

import npgrad
from npgrad import nn
from npgrad.functional import recurrent
from npgrad.nn.utils import rnn as ng_rnn
from npgrad.nn.utils.rnn import pad_sequence

torch = pytest.importorskip("torch")
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

RNG = np.random.default_rng(0)
T, B, I, H = 6, 3, 4, 5
LENGTHS = [5, 2, 4]  # unsorted, and shorter than T: the output has max(LENGTHS) steps


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def load_from_torch(ng_module, th_module):
    ng_module.load_state_dict({k: v.detach().numpy() for k, v in th_module.state_dict().items()})
    return ng_module


def build(class_name, **options):
    """The same layer in both libraries, torch's from a fixed seed, its weights loaded into npgrad's."""
    torch.manual_seed(0)
    kwargs = dict(options)
    if class_name == "RNN_RELU":
        class_name, kwargs["nonlinearity"] = "RNN", "relu"
    th = getattr(torch.nn, class_name)(**kwargs)
    ng = load_from_torch(getattr(nn, class_name)(**kwargs), th)
    assert repr(ng) == repr(th)
    assert list(ng.state_dict()) == list(th.state_dict())
    return ng, th


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def as_hx(states):
    """Initial states as the layers take them: None, (h0, c0) for the LSTM, or h0."""
    if not states:
        return None
    return tuple(states) if len(states) == 2 else states[0]


def run_torch(th, x, hx, lengths, batch_first):
    if lengths is None:
        return th(x, hx)
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    output, state = th(packed, hx)
    return pad_packed_sequence(output, batch_first=batch_first)[0], state


def compare(ng_values, th_values, what, atol=1e-5):
    for n, t in zip(ng_values, th_values):
        assert n.dtype == np.float32, what
        np.testing.assert_allclose(n, t, rtol=1e-4, atol=atol, err_msg=what)


def check_layer(ng, th, x, states, lengths=None, atol=1e-5):
    """Forward both (torch on a packed sequence when lengths are given), backward the same random
    upstream gradients of the output and the final states, compare everything."""
    ng_in = [npgrad.tensor(a, requires_grad=True) for a in [x, *states]]
    th_in = [torch.tensor(a, requires_grad=True) for a in [x, *states]]
    ng_out, ng_state = ng(ng_in[0], as_hx(ng_in[1:]), lengths=lengths)
    th_out, th_state = run_torch(th, th_in[0], as_hx(th_in[1:]), lengths, ng.batch_first)
    ng_outs, th_outs = [ng_out, *as_tuple(ng_state)], [th_out, *as_tuple(th_state)]
    for n, t in zip(ng_outs, th_outs):
        assert n.shape == tuple(t.shape)
    compare([n.detach().numpy() for n in ng_outs], [t.detach().numpy() for t in th_outs], "outputs", atol)
    upstream = [randn(*t.shape) for t in th_outs]
    sum((n * npgrad.tensor(u)).sum() for n, u in zip(ng_outs, upstream)).backward()
    sum((t * torch.from_numpy(u)).sum() for t, u in zip(th_outs, upstream)).backward()
    compare([n.grad for n in ng_in], [t.grad.numpy() for t in th_in], "input and initial-state grads", atol)
    th_params = dict(th.named_parameters())
    for name, p in ng.named_parameters():
        compare([p.grad], [th_params[name].grad.numpy()], name, atol)


# ------------------------------------------------------------------ layers: the whole grid
MODES = ["RNN", "RNN_RELU", "LSTM", "GRU"]
GRID = list(itertools.product(MODES, [1, 2], [False, True], [False, True], [False, True], [False, True]))


@pytest.mark.parametrize(
    "mode,num_layers,bidirectional,batch_first,with_state,with_lengths",
    GRID,
    ids=[
        f"{m}-L{n}-{'bi' if b else 'uni'}-{'bf' if f else 'tf'}-{'h0' if s else 'noh0'}-{'len' if ln else 'full'}"
        for m, n, b, f, s, ln in GRID
    ],
)
def test_layer_matches_torch(mode, num_layers, bidirectional, batch_first, with_state, with_lengths):
    ng, th = build(
        mode, input_size=I, hidden_size=H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first
    )
    x = randn(B, T, I) if batch_first else randn(T, B, I)
    n_states = 2 if mode == "LSTM" else 1
    states = [randn(num_layers * ng.num_directions, B, H) for _ in range(n_states)] if with_state else []
    check_layer(ng, th, x, states, LENGTHS if with_lengths else None)


@pytest.mark.parametrize("mode", MODES)
def test_unbatched_input_and_no_bias_match_torch(mode):
    ng, th = build(mode, input_size=I, hidden_size=H, num_layers=2, bias=False, bidirectional=True)
    assert [n for n, _ in ng.named_parameters()] == [n for n, _ in th.named_parameters()]
    states = [randn(4, H) for _ in range(2 if mode == "LSTM" else 1)]
    check_layer(ng, th, randn(T, I), states)
    check_layer(ng, th, randn(T, I), [])


def test_lengths_equal_to_the_full_sequence_change_nothing():
    ng, _ = build("LSTM", input_size=I, hidden_size=H, bidirectional=True)
    x = npgrad.tensor(randn(T, B, I))
    full, (h, c) = ng(x)
    padded, (h_len, c_len) = ng(x, lengths=np.array([T] * B))
    np.testing.assert_array_equal(full.detach().numpy(), padded.detach().numpy())
    np.testing.assert_array_equal(h.detach().numpy(), h_len.detach().numpy())


def test_layer_gradcheck_float64():
    """Finite differences through a 2-layer bidirectional GRU with lengths, for its input and every parameter."""
    npgrad.manual_seed(0)
    gru = nn.GRU(3, 2, num_layers=2, bidirectional=True, dtype=np.float64)
    x = npgrad.tensor(RNG.standard_normal((4, 2, 3)), dtype=np.float64, requires_grad=True)
    h0 = npgrad.tensor(RNG.standard_normal((4, 2, 2)), dtype=np.float64, requires_grad=True)
    params = list(gru.parameters())
    assert npgrad.gradcheck(lambda x, h0, *_: gru(x, h0, lengths=[4, 2]), [x, h0, *params])


# ------------------------------------------------------------------ dropout between layers
def test_dropout_changes_training_outputs_only():
    ng, th = build("LSTM", input_size=I, hidden_size=H, num_layers=2, dropout=0.5)
    x = npgrad.tensor(randn(T, B, I))
    th.eval()
    expected = th(torch.from_numpy(x.detach().numpy()))[0].detach().numpy()
    ng.eval()
    np.testing.assert_allclose(ng(x)[0].detach().numpy(), expected, rtol=1e-4, atol=1e-5)  # eval: no dropout
    ng.train()
    npgrad.manual_seed(1)
    first = ng(x)[0].detach().numpy()
    npgrad.manual_seed(1)
    again = ng(x)[0].detach().numpy()
    npgrad.manual_seed(2)
    other = ng(x)[0].detach().numpy()
    assert not np.allclose(first, expected) and not np.allclose(first, other)
    np.testing.assert_array_equal(first, again)  # the masks come from npgrad's generator


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="num_layers"):
        nn.GRU(2, 3, dropout=0.2)


# ------------------------------------------------------------------ init, attributes
@pytest.mark.parametrize("class_name,gates", [("RNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_parameters_shapes_and_default_init(class_name, gates):
    layer = getattr(nn, class_name)(10, 20, num_layers=2, bidirectional=True)
    th = getattr(torch.nn, class_name)(10, 20, num_layers=2, bidirectional=True)
    shapes = {n: p.shape for n, p in layer.named_parameters()}
    assert shapes == {n: tuple(p.shape) for n, p in th.named_parameters()}
    assert shapes["weight_ih_l0"] == (gates * 20, 10) and shapes["weight_ih_l1_reverse"] == (gates * 20, 40)
    bound = 1 / math.sqrt(20)
    values = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    assert values.dtype == np.float32
    assert values.min() >= -bound and values.max() <= bound and values.max() > 0.95 * bound
    assert layer.num_directions == 2 and layer.mode == th.mode


def test_reprs_match_torch():
    for args, kwargs in [
        ((3, 4), {}),
        ((3, 4), {"num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.5, "bidirectional": True}),
    ]:
        for name in ("RNN", "LSTM", "GRU"):
            assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))
    assert repr(nn.RNN(3, 4, 2, "relu")) == repr(torch.nn.RNN(3, 4, 2, "relu"))
    for cell in ("RNNCell", "LSTMCell", "GRUCell"):
        assert repr(getattr(nn, cell)(3, 4, bias=False)) == repr(getattr(torch.nn, cell)(3, 4, bias=False))
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == repr(torch.nn.RNNCell(3, 4, nonlinearity="relu"))


# ------------------------------------------------------------------ cells
CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu"}),
    ("LSTMCell", {}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]


@pytest.mark.parametrize("class_name,options", CELLS, ids=[f"{c}-{o}" for c, o in CELLS])
@pytest.mark.parametrize("case", ["batched", "batched-no-hx", "unbatched"])
def test_cell_matches_torch(class_name, options, case):
    torch.manual_seed(0)
    th = getattr(torch.nn, class_name)(I, H, **options)
    ng = load_from_torch(getattr(nn, class_name)(I, H, **options), th)
    batch = () if case == "unbatched" else (B,)
    n_states = 2 if class_name == "LSTMCell" else 1
    arrays = [randn(*batch, I)] + ([] if case == "batched-no-hx" else [randn(*batch, H) for _ in range(n_states)])
    ng_in = [npgrad.tensor(a, requires_grad=True) for a in arrays]
    th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ng_out, th_out = as_tuple(ng(ng_in[0], as_hx(ng_in[1:]))), as_tuple(th(th_in[0], as_hx(th_in[1:])))
    compare([n.detach().numpy() for n in ng_out], [t.detach().numpy() for t in th_out], "outputs")
    upstream = [randn(*t.shape) for t in th_out]
    sum((n * npgrad.tensor(u)).sum() for n, u in zip(ng_out, upstream)).backward()
    sum((t * torch.from_numpy(u)).sum() for t, u in zip(th_out, upstream)).backward()
    compare([n.grad for n in ng_in], [t.grad.numpy() for t in th_in], "input grads")
    th_params = dict(th.named_parameters())
    for name, p in ng.named_parameters():
        compare([p.grad], [th_params[name].grad.numpy()], name)


@pytest.mark.parametrize("name", ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"])
def test_cell_gradcheck_float64(name):
    gates = {"rnn_tanh_cell": 1, "rnn_relu_cell": 1, "lstm_cell": 4, "gru_cell": 3}[name]
    shapes = [(2, 3), (2, 4), (2, 4), (gates * 4, 3), (gates * 4, 4), (gates * 4,), (gates * 4,)]
    x, h, c, *params = [npgrad.tensor(RNG.standard_normal(s), dtype=np.float64, requires_grad=True) for s in shapes]
    cell = getattr(recurrent, name)
    if name == "lstm_cell":
        assert npgrad.gradcheck(lambda x, h, c, *p: cell(x, (h, c), *p), [x, h, c, *params])
    else:
        assert npgrad.gradcheck(lambda x, h, *p: cell(x, h, *p), [x, h, *params])


# ------------------------------------------------------------------ errors
def error_cases():
    lstm = nn.LSTM(4, 5, num_layers=2)
    gru = nn.GRU(4, 5, batch_first=True)
    x = npgrad.randn(6, 3, 4)
    return [
        (lambda: lstm(npgrad.randn(6, 3, 7)), ValueError, r"LSTM\(4, 5, num_layers=2\).*input_size=4.*\(6, 3, 7\)"),
        (lambda: lstm(npgrad.randn(6, 3, 2, 4)), ValueError, r"LSTM.*3-D input.*2-D input.*\(6, 3, 2, 4\)"),
        (lambda: lstm(npgrad.randn(4)), ValueError, r"LSTM.*got shape \(4,\)"),
        (lambda: lstm(x, npgrad.zeros(2, 3, 5)), TypeError, r"LSTM.*hx to be a tuple \(h0, c0\), got Tensor"),
        (
            lambda: gru(npgrad.randn(3, 6, 4), (npgrad.zeros(1, 3, 5),)),
            TypeError,
            r"GRU.*hx to be one tensor h0, got tuple",
        ),
        (
            lambda: gru(npgrad.randn(3, 6, 4), npgrad.zeros(1, 3, 5).double()),
            TypeError,
            r"GRU.*h0 of dtype float32 like the weights, got float64",
        ),
        (
            lambda: lstm(x, (npgrad.zeros(1, 3, 5), npgrad.zeros(2, 3, 5))),
            ValueError,
            r"LSTM.*h0 of shape \(2, 3, 5\), got \(1, 3, 5\)",
        ),
        (
            lambda: lstm(x, (npgrad.zeros(2, 3, 5), npgrad.zeros(2, 4, 5))),
            ValueError,
            r"LSTM.*c0 of shape \(2, 3, 5\), got \(2, 4, 5\)",
        ),
        (lambda: lstm(npgrad.randn(6, 4), npgrad.zeros(2, 1, 5)), TypeError, "tuple"),
        (
            lambda: gru(npgrad.randn(3, 6, 4), npgrad.zeros(1, 6, 5)),
            ValueError,
            r"GRU\(4, 5, batch_first=True\).*h0 of shape \(1, 3, 5\)",
        ),
        (lambda: gru(npgrad.randn(3, 6, 4), lengths=[6, 2]), ValueError, r"GRU.*lengths.*3 ints.*shape \(2,\)"),
        (lambda: gru(npgrad.randn(3, 6, 4), lengths=[7, 2, 1]), ValueError, r"GRU.*between 1 and .* 6, got 1..7"),
        (lambda: gru(npgrad.randn(3, 6, 4), lengths=[0, 2, 1]), ValueError, r"GRU.*between 1 and .* 6, got 0..2"),
        (lambda: gru(npgrad.randn(3, 6, 4), lengths=[1.5, 2, 1]), ValueError, r"GRU.*lengths.*float64"),
        (lambda: gru(npgrad.randn(6, 4), lengths=[6]), ValueError, r"GRU.*lengths needs a batched"),
        (lambda: gru(npgrad.randn(3, 6, 4).double()), TypeError, r"GRU.*float32 input.*float64"),
        (lambda: nn.LSTMCell(4, 5)(npgrad.randn(3, 2)), ValueError, r"LSTMCell\(4, 5\).*input_size=4.*\(3, 2\)"),
        (
            lambda: nn.GRUCell(4, 5)(npgrad.randn(3, 4), npgrad.zeros(2, 5)),
            ValueError,
            r"GRUCell\(4, 5\).*h0 of shape \(3, 5\), got \(2, 5\)",
        ),
        (lambda: nn.RNN(4, 5, nonlinearity="sigmoid"), ValueError, "nonlinearity 'sigmoid'"),
        (lambda: nn.LSTM(4, 0), ValueError, "hidden_size must be a positive int"),
        (lambda: nn.GRU(4, 5, dropout=1.5), ValueError, "dropout must be a probability"),
    ]


ERRORS = error_cases()


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_bad_arguments_raise_clear_errors(index):
    call, error, message = ERRORS[index]
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------------ Embedding
def check_embedding(ng, th, ids, atol=1e-6):
    ng_out, th_out = ng(npgrad.tensor(ids)), th(torch.from_numpy(ids))
    assert ng_out.dtype == np.float32 and ng_out.shape == tuple(th_out.shape)
    np.testing.assert_allclose(ng_out.detach().numpy(), th_out.detach().numpy(), rtol=1e-6, atol=atol)
    upstream = randn(*th_out.shape)
    (ng_out * npgrad.tensor(upstream)).sum().backward()
    (th_out * torch.from_numpy(upstream)).sum().backward()
    assert ng.weight.grad.dtype == np.float32
    np.testing.assert_allclose(ng.weight.grad, th.weight.grad.numpy(), rtol=1e-5, atol=atol)
    np.testing.assert_allclose(ng.weight.detach().numpy(), th.weight.detach().numpy(), rtol=1e-6, atol=atol)


EMBEDDINGS = [
    {},
    {"padding_idx": 0},
    {"padding_idx": -2},
    {"max_norm": 1.0},
    {"max_norm": 2.0, "norm_type": 1.0},
    {"scale_grad_by_freq": True, "padding_idx": 3},
]


@pytest.mark.parametrize("options", EMBEDDINGS, ids=[str(o) for o in EMBEDDINGS])
def test_embedding_matches_torch(options):
    torch.manual_seed(0)
    th = torch.nn.Embedding(10, 4, **options)
    ng = load_from_torch(nn.Embedding(10, 4, **options), th)
    assert repr(ng) == repr(th) and ng.padding_idx == th.padding_idx
    ids = RNG.integers(0, 10, (3, 7))  # repeated ids, the padding id among them
    ids[0, :2] = 0
    check_embedding(ng, th, ids)
    ng.weight.grad, th.weight.grad = None, None
    check_embedding(ng, th, RNG.integers(0, 10, 5))  # max_norm: the rows renormalised above stay within it


def test_embedding_init_and_padding_row():
    emb = nn.Embedding(2000, 16, padding_idx=5)
    weight = emb.weight.detach().numpy()
    assert weight.dtype == np.float32 and emb.weight.requires_grad
    np.testing.assert_array_equal(weight[5], 0)
    assert abs(weight.mean()) < 0.02 and abs(weight.std() - 1) < 0.02  # N(0, 1)


def test_embedding_from_pretrained():
    table = randn(6, 3)
    frozen = nn.Embedding.from_pretrained(npgrad.tensor(table))
    th = torch.nn.Embedding.from_pretrained(torch.from_numpy(table))
    assert not frozen.weight.requires_grad and repr(frozen) == repr(th)
    ids = np.array([[5, 0, 2], [2, 2, 1]])
    np.testing.assert_array_equal(frozen(npgrad.tensor(ids)).detach().numpy(), table[ids])
    trained = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert trained.weight.requires_grad and trained.padding_idx == 1
    trained(npgrad.tensor(ids)).sum().backward()
    np.testing.assert_array_equal(trained.weight.grad[:, 0], [1, 0, 3, 0, 0, 1])  # counts; pad row 1 gets none
    with pytest.raises(ValueError, match="2-D embeddings"):
        nn.Embedding.from_pretrained(randn(6))


@pytest.mark.parametrize(
    "ids,error,message",
    [
        (
            np.array([[1, 10]]),
            IndexError,
            r"Embedding\(10, 4\): token id 10 is out of range: expected ids in \[0, 10\)",
        ),
        (np.array([-1, 2]), IndexError, r"Embedding\(10, 4\): token id -1 is out of range"),
        (np.array([1.0, 2.0], np.float32), TypeError, r"Embedding\(10, 4\): expected integer token ids.*float32"),
    ],
)
def test_embedding_errors(ids, error, message):
    with pytest.raises(error, match=message):
        nn.Embedding(10, 4)(npgrad.tensor(ids))


def test_embedding_argument_errors():
    with pytest.raises(ValueError, match=r"Embedding: padding_idx must be within \[-10, 10\), got 10"):
        nn.Embedding(10, 4, padding_idx=10)
    with pytest.raises(ValueError, match="sparse"):
        nn.Embedding(10, 4, sparse=True)
    with pytest.raises(IndexError, match=r"embedding: token id 7"):
        nn.functional.embedding(npgrad.tensor(np.array([7])), npgrad.randn(7, 2))


# ------------------------------------------------------------------ pad_sequence
@pytest.mark.parametrize(
    "batch_first,padding_side,padding_value", [(False, "right", 0.0), (True, "right", -1.0), (True, "left", 2.5)]
)
def test_pad_sequence_matches_torch(batch_first, padding_side, padding_value):
    arrays = [randn(3, 2), randn(5, 2), randn(1, 2)]
    ng_in = [npgrad.tensor(a, requires_grad=True) for a in arrays]
    th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ng_out = pad_sequence(ng_in, batch_first, padding_value, padding_side)
    th_out = torch.nn.utils.rnn.pad_sequence(th_in, batch_first, padding_value, padding_side)
    assert ng_out.dtype == np.float32
    np.testing.assert_array_equal(ng_out.detach().numpy(), th_out.detach().numpy())
    upstream = randn(*th_out.shape)
    (ng_out * npgrad.tensor(upstream)).sum().backward()
    (th_out * torch.from_numpy(upstream)).sum().backward()
    for n, t in zip(ng_in, th_in):
        np.testing.assert_array_equal(n.grad, t.grad.numpy())


def test_pad_sequence_then_lengths_matches_packed_lstm():
    """The documented recipe: pad_sequence, then lengths= instead of packing."""
    ng, th = build("LSTM", input_size=I, hidden_size=H, batch_first=True)
    sequences = [randn(n, I) for n in (2, 6, 3)]
    padded = pad_sequence([npgrad.tensor(s) for s in sequences], batch_first=True)
    output, (h_n, _) = ng(padded, lengths=[len(s) for s in sequences])
    packed = torch.nn.utils.rnn.pack_sequence([torch.from_numpy(s) for s in sequences], enforce_sorted=False)
    th_output, (th_h, _) = th(packed)
    np.testing.assert_allclose(
        output.detach().numpy(),
        pad_packed_sequence(th_output, batch_first=True)[0].detach().numpy(),
        rtol=1e-4,
        atol=1e-5,
    )
    np.testing.assert_allclose(h_n.detach().numpy(), th_h.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_pad_sequence_errors():
    with pytest.raises(ValueError, match="same trailing dims"):
        pad_sequence([npgrad.randn(3, 2), npgrad.randn(3, 4)])
    with pytest.raises(ValueError, match="non-empty"):
        pad_sequence([])


# ------------------------------------------------------------------ packed sequences
PACKINGS = [(batch_first, lengths) for batch_first in (False, True) for lengths in ([5, 4, 2], LENGTHS)]


@pytest.mark.parametrize("batch_first,lengths", PACKINGS)
def test_pack_and_pad_match_torch(batch_first, lengths):
    """pack_padded_sequence and pad_packed_sequence: the packed steps, batch sizes and orders,
    the padded batch back (padding value, total_length) and the gradient through both."""
    x = randn(B, T, I) if batch_first else randn(T, B, I)
    sorted_lengths = lengths == sorted(lengths, reverse=True)
    ng_x, th_x = npgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ng_packed = ng_rnn.pack_padded_sequence(ng_x, lengths, batch_first, enforce_sorted=sorted_lengths)
    th_packed = pack_padded_sequence(th_x, torch.tensor(lengths), batch_first, enforce_sorted=sorted_lengths)
    np.testing.assert_array_equal(ng_packed.data.detach().numpy(), th_packed.data.detach().numpy())
    for ours, theirs in zip(ng_packed[1:], th_packed[1:]):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ng_padded, ng_lengths = ng_rnn.pad_packed_sequence(ng_packed, batch_first, padding_value=-2.0, total_length=T + 1)
    th_padded, th_lengths = pad_packed_sequence(th_packed, batch_first, padding_value=-2.0, total_length=T + 1)
    np.testing.assert_array_equal(ng_padded.detach().numpy(), th_padded.detach().numpy())
    np.testing.assert_array_equal(ng_lengths.numpy(), th_lengths.numpy())
    upstream = randn(*th_padded.shape)
    (ng_padded * npgrad.tensor(upstream)).sum().backward()
    (th_padded * torch.from_numpy(upstream)).sum().backward()
    np.testing.assert_array_equal(ng_x.grad, th_x.grad.numpy())  # 0 on the padding


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_on_packed_sequences_matches_torch(mode, batch_first):
    """A PackedSequence in, a PackedSequence out (same orders), h0 and h_n in the batch's order."""
    ng, th = build(mode, input_size=I, hidden_size=H, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = randn(B, T, I) if batch_first else randn(T, B, I)
    states = [randn(4, B, H) for _ in range(2 if mode == "LSTM" else 1)]
    ng_in = [npgrad.tensor(a, requires_grad=True) for a in [x, *states]]
    th_in = [torch.tensor(a, requires_grad=True) for a in [x, *states]]
    ng_packed = ng_rnn.pack_padded_sequence(ng_in[0], LENGTHS, batch_first, enforce_sorted=False)
    th_packed = pack_padded_sequence(th_in[0], torch.tensor(LENGTHS), batch_first, enforce_sorted=False)
    ng_out, ng_state = ng(ng_packed, as_hx(ng_in[1:]))
    th_out, th_state = th(th_packed, as_hx(th_in[1:]))
    assert isinstance(ng_out, ng_rnn.PackedSequence)
    np.testing.assert_array_equal(ng_out.batch_sizes.numpy(), th_out.batch_sizes.numpy())
    np.testing.assert_array_equal(ng_out.sorted_indices.numpy(), th_out.sorted_indices.numpy())
    ng_outs, th_outs = [ng_out.data, *as_tuple(ng_state)], [th_out.data, *as_tuple(th_state)]
    compare([n.detach().numpy() for n in ng_outs], [t.detach().numpy() for t in th_outs], "outputs")
    upstream = [randn(*t.shape) for t in th_outs]
    sum((n * npgrad.tensor(u)).sum() for n, u in zip(ng_outs, upstream)).backward()
    sum((t * torch.from_numpy(u)).sum() for t, u in zip(th_outs, upstream)).backward()
    compare([n.grad for n in ng_in], [t.grad.numpy() for t in th_in], "input and initial-state grads")


def test_pack_sequence_and_packing_errors():
    sequences = [randn(n, I) for n in (4, 6, 1)]
    ours = ng_rnn.pack_sequence([npgrad.tensor(s) for s in sequences], enforce_sorted=False)
    theirs = torch.nn.utils.rnn.pack_sequence([torch.from_numpy(s) for s in sequences], enforce_sorted=False)
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    np.testing.assert_array_equal(ours.batch_sizes.numpy(), theirs.batch_sizes.numpy())
    with pytest.raises(RuntimeError, match="sorted in decreasing order when enforce_sorted=True"):
        ng_rnn.pack_padded_sequence(npgrad.tensor(randn(T, B, I)), LENGTHS)
    with pytest.raises(ValueError, match=r"expected 3 lengths in \[1, 6\], got \[5, 0, 4\]"):
        ng_rnn.pack_padded_sequence(npgrad.tensor(randn(T, B, I)), [5, 0, 4], enforce_sorted=False)
    with pytest.raises(ValueError, match="total_length=3 is less than the longest sequence"):
        ng_rnn.pad_packed_sequence(ours, total_length=3)
    with pytest.raises(ValueError, match="carries its lengths"):
        nn.GRU(I, H)(ours, lengths=[6, 4, 1])
