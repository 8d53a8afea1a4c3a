"""npgrad.onnx.export: every exported model, run in onnxruntime on a batch of another size than
the example's, gives npgrad's own evaluation-mode output; the files pass onnx.checker; what
cannot be exported raises an error naming it."""

import subprocess
import sys

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F
import npgrad.onnx
from npgrad import nn
from npgrad.nn.module import eval_mode
from npgrad.models import CharRNN, SequenceClassifier, lenet5, mlp, mnist_cnn, resnet18
from npgrad.models.gpt import GPT, GPTConfig

onnx = pytest.importorskip("onnx", reason="ONNX export tests need the onnx package: pip install 'npgrad[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="ONNX export tests need onnxruntime: pip install 'npgrad[onnx]'")


def normal(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def token_ids(batch, steps, vocab, seed=0):
    return np.random.default_rng(seed).integers(0, vocab, (batch, steps)).astype(np.int64)


def with_running_statistics(model):
    """Batch norms with running statistics, weights and biases far from their defaults, so that
    a wrong normalisation shows in the output."""
    rng = np.random.default_rng(1)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            channels = module.num_features
            module.running_mean._data[...] = rng.normal(0, 0.5, channels)
            module.running_var._data[...] = rng.uniform(0.5, 2, channels)
            module.weight._data[...] = rng.uniform(0.5, 1.5, channels)
            module.bias._data[...] = rng.normal(0, 0.5, channels)
    return model


def npgrad_outputs(model, inputs):
    with eval_mode(model), npgrad.no_grad():
        output = model(*[npgrad.tensor(x) for x in inputs])
    return [t.detach().numpy() for t in _tensors(output)]


def _tensors(value):
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item)]
    return [] if value is None else [value]


def export_and_run(model, example, inputs, tmp_path, **options):
    """Export with `example`, check the file, run it in onnxruntime on `inputs` (tuples for
    several inputs); compare with npgrad's output and return the model proto."""
    example = example if isinstance(example, tuple) else (example,)
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    path = tmp_path / "model.onnx"
    proto = npgrad.onnx.export(model, example, path, **options)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    results = session.run(None, {i.name: x for i, x in zip(session.get_inputs(), inputs)})
    expected = npgrad_outputs(model, inputs)
    assert len(results) == len(expected)
    for result, want in zip(results, expected):
        assert result.shape == want.shape and result.dtype == want.dtype
        np.testing.assert_allclose(result, want, rtol=1e-4, atol=1e-5 * max(1, np.abs(want).max()))
    return proto


# --------------------------------------------------------------------------- MLPs and CNNs
def test_mlp_with_every_activation(tmp_path):
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(12, 16),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(16, 16),
        nn.Sigmoid(),
        nn.Linear(16, 16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.GELU(),
        nn.Linear(16, 16),
        nn.LeakyReLU(0.2),
        nn.Linear(16, 8),
        nn.Softmax(dim=1),
        nn.Linear(8, 4),
        nn.LogSoftmax(dim=-1),
    )
    export_and_run(model, normal(2, 3, 4), normal(5, 3, 4, seed=1), tmp_path)


def test_zoo_mlp_names_initializers_by_state_dict_and_has_a_symbolic_batch(tmp_path):
    model = mlp(in_shape=(1, 8, 8), hidden=(32, 16))
    proto = export_and_run(
        model, normal(1, 1, 8, 8), normal(7, 1, 8, 8, seed=1), tmp_path, input_names=["images"], output_names=["logits"]
    )
    assert set(model.state_dict()) <= {t.name for t in proto.graph.initializer}
    (graph_input,), (graph_output,) = proto.graph.input, proto.graph.output
    assert graph_input.name == "images" and graph_output.name == "logits"
    assert [d.dim_param or d.dim_value for d in graph_input.type.tensor_type.shape.dim] == ["batch", 1, 8, 8]
    assert [d.dim_param or d.dim_value for d in graph_output.type.tensor_type.shape.dim] == ["batch", 10]
    assert model.training  # back in the mode it was in


def test_fixed_batch_when_not_dynamic(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3))
    proto = export_and_run(model, normal(2, 4), normal(2, 4, seed=1), tmp_path, dynamic_batch=False)
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [2, 4]
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    with pytest.raises(Exception, match="(?i)dimension|shape"):
        session.run(None, {"input": normal(3, 4)})


def test_conv1d_with_stride_padding_dilation_groups_pools_and_batch_norm(tmp_path):
    model = nn.Sequential(
        nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2),
        nn.BatchNorm1d(6),
        nn.LeakyReLU(0.1),
        nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True),
        nn.Conv1d(6, 6, 2, groups=6),
        nn.AvgPool1d(2, padding=1, ceil_mode=True, count_include_pad=False),
        nn.Flatten(),
        nn.Linear(18, 5),
    )
    export_and_run(with_running_statistics(model), normal(2, 4, 17), normal(3, 4, 17, seed=1), tmp_path)


def test_conv2d_transposed_conv_pools_and_adaptive_pool(tmp_path):
    model = nn.Sequential(
        nn.Conv2d(3, 8, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        nn.Sigmoid(),
        nn.ConvTranspose2d(6, 4, (2, 3), stride=(1, 2), dilation=2),
        nn.Tanh(),
        nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False),
        nn.AdaptiveAvgPool2d((3, 2)),
    )
    export_and_run(with_running_statistics(model), normal(2, 3, 9, 8), normal(4, 3, 9, 8, seed=1), tmp_path)


@pytest.mark.parametrize(
    "build, image",
    [
        (lambda: mnist_cnn(), (1, 28, 28)),
        (lambda: lenet5(activation="tanh", pool="avg"), (1, 28, 28)),
        (lambda: resnet18(num_classes=10, in_shape=(3, 32, 32)), (3, 32, 32)),
        (lambda: resnet18(num_classes=10), (3, 64, 64)),  # the 7x7 stem and the max pool
    ],
)
def test_zoo_cnns(build, image, tmp_path):
    export_and_run(with_running_statistics(build()), normal(2, *image), normal(3, *image, seed=1), tmp_path)


# --------------------------------------------------------------------------- recurrent models
@pytest.mark.parametrize("cell, layers", [("lstm", 2), ("gru", 1), ("rnn", 2)])
def test_char_rnn_embedding_and_recurrent_layers(cell, layers, tmp_path):
    """Outputs: logits and the final state, h_n (and c_n for the LSTM), per layer."""
    model = CharRNN(20, embedding_dim=8, hidden_size=16, num_layers=layers, cell=cell, dropout=0.3)
    export_and_run(model, token_ids(2, 7, 20), token_ids(5, 7, 20, seed=1), tmp_path)


@pytest.mark.parametrize("cell, readout", [("lstm", "last"), ("gru", "all"), ("rnn", "last")])
def test_bidirectional_sequence_classifiers(cell, readout, tmp_path):
    model = SequenceClassifier(3, 5, 4, cell=cell, num_layers=2, bidirectional=True, readout=readout, seq_len=6)
    export_and_run(model, normal(2, 6, 3), normal(3, 6, 3, seed=1), tmp_path)


class RecurrentWithState(nn.Module):
    """A recurrent layer whose initial state is a model input, batch first like the sequence."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, *states):
        states = [s.transpose(0, 1) for s in states]  # (B, layers * directions, H) -> time major
        return self.layer(x, tuple(states) if len(states) == 2 else states[0])


@pytest.mark.parametrize(
    "layer, n_states",
    [
        (nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True), 2),
        (nn.GRU(3, 4, num_layers=2, batch_first=True, bias=False), 1),
        (nn.RNN(3, 4, nonlinearity="relu", batch_first=True, bidirectional=True), 1),
    ],
)
def test_recurrent_layers_with_an_initial_state(layer, n_states, tmp_path):
    rows = layer.num_layers * layer.num_directions
    example = (normal(2, 5, 3),) + tuple(normal(2, rows, 4, seed=s) for s in range(1, n_states + 1))
    inputs = (normal(3, 5, 3, seed=7),) + tuple(normal(3, rows, 4, seed=s) for s in range(8, 8 + n_states))
    export_and_run(RecurrentWithState(layer), example, inputs, tmp_path)


class Unrolled(nn.Module):
    """A cell stepped through the sequence by hand."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell

    def forward(self, x):
        state, hidden = None, []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
            hidden.append(state[0] if isinstance(state, tuple) else state)
        return npgrad.stack(hidden, dim=1), state


@pytest.mark.parametrize(
    "cell", [nn.LSTMCell(3, 4), nn.GRUCell(3, 4), nn.RNNCell(3, 4, nonlinearity="relu"), nn.RNNCell(3, 4, bias=False)]
)
def test_recurrent_cells(cell, tmp_path):
    export_and_run(Unrolled(cell), normal(2, 4, 3), normal(3, 4, 3, seed=1), tmp_path)


def test_time_major_lstm_exports_with_a_fixed_batch(tmp_path):
    export_and_run(nn.LSTM(3, 4), normal(5, 2, 3), normal(5, 2, 3, seed=1), tmp_path, dynamic_batch=False)


# --------------------------------------------------------------------------- transformers
def test_transformer_encoder(tmp_path):
    layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
    model = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(16))
    export_and_run(model, normal(2, 5, 16), normal(3, 5, 16, seed=1), tmp_path)


class CausalLanguageModel(nn.Module):
    def __init__(self, vocab=11, width=16):
        super().__init__()
        self.embedding = nn.Embedding(vocab, width)
        layer = nn.TransformerEncoderLayer(width, 2, 32, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(width, vocab)

    def forward(self, ids):
        mask = nn.Transformer.generate_square_subsequent_mask(ids.shape[1])
        return self.head(self.encoder(self.embedding(ids), mask=mask, is_causal=True))


def test_causal_transformer_language_model(tmp_path):
    export_and_run(CausalLanguageModel(), token_ids(2, 6, 11), token_ids(4, 6, 11, seed=1), tmp_path)


def test_gpt(tmp_path):
    """Returns (logits, None): the loss is None without targets."""
    model = GPT(GPTConfig(block_size=16, vocab_size=30, n_layer=2, n_head=2, n_embd=16))
    export_and_run(model, token_ids(2, 8, 30), token_ids(3, 8, 30, seed=1), tmp_path)


def test_multihead_attention_returns_its_weights(tmp_path):
    class CrossAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = nn.MultiheadAttention(16, 4, batch_first=True)

        def forward(self, queries, memory):
            return self.attention(queries, memory, memory)

    export_and_run(
        CrossAttention(),
        (normal(2, 3, 16), normal(2, 5, 16, seed=1)),
        (normal(4, 3, 16, seed=2), normal(4, 5, 16, seed=3)),
        tmp_path,
    )


class MaskedAttention(nn.Module):
    """Queries that may attend to no key (they get zeros): under a fixed boolean mask and
    under a float mask that is a model input."""

    def forward(self, q, k, v, mask):
        may_attend = np.ones((3, 5), bool)
        may_attend[1] = False
        fixed = F.scaled_dot_product_attention(q, k, v, attn_mask=npgrad.tensor(may_attend))
        return fixed, F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def test_attention_masks_that_hide_every_key(tmp_path):
    def inputs(batch, seed):
        mask = normal(batch, 1, 3, 5, seed=seed)
        mask[:, :, 2] = -np.inf
        return (
            normal(batch, 2, 3, 4, seed=seed + 1),
            normal(batch, 2, 5, 4, seed=seed + 2),
            normal(batch, 2, 5, 4, seed=seed + 3),
            mask,
        )

    export_and_run(MaskedAttention(), inputs(2, 0), inputs(3, 10), tmp_path)
    fixed, computed = npgrad_outputs(MaskedAttention(), inputs(3, 10))
    assert not fixed[:, :, 1].any() and not computed[:, :, 2].any()  # the rows that must come out as zeros


# --------------------------------------------------------------------------- custom forwards
class Mixer(nn.Module):
    """A forward that is not a chain: residual additions (one in place), concatenation,
    transposes, indexing, splits, reductions and elementwise ops, on two inputs."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 6)
        self.linear = nn.Linear(6, 6)
        self.norm = nn.BatchNorm1d(6)
        self.up = nn.Upsample(scale_factor=2)

    def forward(self, ids, x):
        h = self.linear(self.embedding(ids))
        h += x  # (B, T, 6)
        h = self.norm(h.transpose(1, 2))  # (B, 6, T)
        h = npgrad.cat([h, h[:, :2] * 2.0, h[:, ::-2]], dim=1)[..., 1:]  # (B, 11, T - 1)
        pooled = h.mean(dim=2) - h.amax(dim=2) + h.std(dim=2) + h.var(dim=-1, keepdim=True).squeeze(-1)
        z = F.softplus(pooled, beta=2) + F.silu(pooled) + F.gelu(pooled, approximate="tanh") + F.elu(pooled)
        z = z + pooled.clamp(-0.5, 0.5) ** 2 + h.sum(dim=(1, 2))[:, None] / 10 + h.max(dim=1).values[:, :1]
        z = z + h.logsumexp(dim=1)[..., 0:1] + pooled.abs().sqrt() - (-pooled).exp() / 5
        grid = self.up(z[:, :6].reshape(z.shape[0], 1, 2, 3))
        picked = h[:, -1] + h[:, np.array([0, 2, 4])].sum(dim=1) + h[..., None][:, 1, :, 0]
        first, _, last = h.split([3, 6, 2], dim=1)
        picked = picked + first.sum(dim=1) * last.chunk(2, dim=1)[1].squeeze(1)
        return grid.flatten(1), npgrad.stack([pooled, -pooled], dim=1)[..., ::2].permute(0, 2, 1), picked


def test_custom_forward_with_two_inputs_and_three_outputs(tmp_path):
    example = (token_ids(3, 5, 10), normal(3, 5, 6))
    inputs = (token_ids(4, 5, 10, seed=1), normal(4, 5, 6, seed=1))
    proto = export_and_run(with_running_statistics(Mixer()), example, inputs, tmp_path)
    assert [i.name for i in proto.graph.input] == ["input_0", "input_1"]
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1", "output_2"]


@pytest.mark.parametrize("opset", [18, 20])
def test_later_opsets(opset, tmp_path):
    """Opset 18 takes the reductions' axes as inputs; opset 20 has a Gelu op."""
    example = (token_ids(3, 5, 10), normal(3, 5, 6))
    inputs = (token_ids(2, 5, 10, seed=1), normal(2, 5, 6, seed=1))
    proto = export_and_run(with_running_statistics(Mixer()), example, inputs, tmp_path, opset_version=opset)
    assert proto.opset_import[0].version == opset


# --------------------------------------------------------------------------- what cannot be exported
class Cube(npgrad.Function):
    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad):
        return grad * 3 * self.x**2


class UsesCube(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)

    def forward(self, x):
        return Cube.apply(self.linear(x))


def test_an_op_without_conversion_is_named(tmp_path):
    with pytest.raises(NotImplementedError, match=r"no ONNX export for Cube in module 'UsesCube' \(.*Cube\)"):
        npgrad.onnx.export(UsesCube(), normal(2, 4), tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


class MasksWithNumPy(nn.Module):
    def forward(self, x):
        return x * npgrad.tensor((x.detach().numpy() > 0).astype(np.float32))


class DropsAlways(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5, training=True)


class SqueezesTheBatch(nn.Module):
    def forward(self, x):
        return x.squeeze()


class ReturnsArgmax(nn.Module):
    def forward(self, x):
        return x.argmax(dim=1)


@pytest.mark.parametrize(
    "model, batch, message",
    [
        (MasksWithNumPy(), 2, "input 1 of MulFunction in module 'MasksWithNumPy' changes with the model's input"),
        (ReturnsArgmax(), 2, "output 'output' changes with the model's input"),
        (DropsAlways(), 2, "no ONNX export for Dropout"),
        (SqueezesTheBatch(), 1, "use an example batch of 2 or more"),
    ],
)
def test_what_a_recording_cannot_capture_is_refused(model, batch, message, tmp_path):
    with pytest.raises(NotImplementedError, match=message):
        npgrad.onnx.export(model, normal(batch, 4), tmp_path / "model.onnx")


def test_lengths_of_a_recurrent_layer_are_refused(tmp_path):
    class Packed(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(3, 4, batch_first=True)

        def forward(self, x):
            return self.rnn(x, lengths=[3] * x.shape[0])[0]

    with pytest.raises(NotImplementedError, match="GRU in module 'rnn' is called with lengths"):
        npgrad.onnx.export(Packed(), normal(2, 3, 3), tmp_path / "model.onnx")


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(opset_version=13), "opset_version must be between 17"),
        (dict(input_names=["a", "b"]), "expected 1 distinct input_names"),
    ],
)
def test_bad_arguments(options, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        npgrad.onnx.export(nn.Linear(4, 2), normal(2, 4), tmp_path / "model.onnx", **options)


def test_importing_npgrad_onnx_does_not_import_onnx():
    code = "import sys, npgrad, npgrad.onnx; print('onnx' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_without_the_onnx_package_export_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match=r"needs the onnx package: pip install 'npgrad\[onnx\]'"):
        npgrad.onnx.export(nn.Linear(4, 2), normal(2, 4), tmp_path / "model.onnx")
