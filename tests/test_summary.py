"""npgrad.analysis.summary: parameter counts, MACs by the standard formulas, traced shapes."""

import numpy as np
import pytest

import npgrad
from npgrad import nn
from npgrad.analysis.summary import MAC_RULES, summary


def sign_language_mlp():
    return nn.Sequential(
        nn.Linear(784, 1024),
        nn.ReLU(),
        nn.Linear(1024, 512),
        nn.ReLU(),
        nn.Linear(512, 256),
        nn.ReLU(),
        nn.Linear(256, 24),
    )


def test_mlp_parameters_memory_and_macs_match_a_hand_count(capsys):
    result = summary(sign_language_mlp(), (784,))
    weights = 784 * 1024 + 1024 * 512 + 512 * 256 + 256 * 24
    biases = 1024 + 512 + 256 + 24
    assert result.total_params == weights + biases == 1_466_136
    assert result.trainable_params == 1_466_136 and result.non_trainable_params == 0
    assert result.param_bytes == 4 * 1_466_136
    assert result.total_macs == weights  # one multiply-accumulate per weight for one sample
    table = capsys.readouterr().out
    assert "Total params: 1,466,136" in table
    assert "Params size (MB): 5.59" in table
    assert "Total MACs: 1,464,320" in table


def test_rows_follow_the_calls_with_shapes_params_and_macs():
    result = summary(sign_language_mlp(), (784,), batch_size=3, print_table=False)
    assert [(r.name, r.type) for r in result.rows[:2]] == [("0", "Linear"), ("1", "ReLU")]
    first = result.rows[0]
    assert first.output_shape == (3, 1024)
    assert first.params == 784 * 1024 + 1024
    assert first.macs == 3 * 784 * 1024  # MACs grow with the batch
    assert result.rows[1].macs == 0 and result.rows[1].params == 0
    assert result.total_macs == sum(r.macs for r in result.rows)


def test_linear_counts_every_leading_dimension():
    result = summary(nn.Linear(8, 5), (7, 8), batch_size=2, print_table=False)
    assert result.total_macs == 2 * 7 * 8 * 5
    assert result.rows[0].output_shape == (2, 7, 5)


class TiedNet(nn.Module):
    """`a` runs twice and `head` shares a's weight."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.block = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
        self.head = nn.Linear(4, 4, bias=False)
        self.head.weight = self.a.weight

    def forward(self, x):
        return self.head(self.block(self.a(self.a(x))))


def test_shared_parameters_count_once_and_a_second_call_is_marked_shared():
    result = summary(TiedNet(), (4,), print_table=False)
    assert result.total_params == 20 + 20  # a (16 + 4), block's Linear (16 + 4); head has nothing new
    names = [(r.name, r.shared, r.params) for r in result.rows]
    assert names[:2] == [("a", False, 20), ("a", True, 0)]
    assert ("head", False, 0) in names
    assert result.total_macs == 4 * 16


def test_containers_sum_their_children_and_depth_folds_them(capsys):
    result = summary(TiedNet(), (4,), depth=1)
    block = next(r for r in result.rows if r.name == "block")
    assert (block.depth, block.params, block.macs) == (1, 20, 16)
    assert [r.depth for r in result.rows if r.name.startswith("block.")] == [2, 2]
    table = capsys.readouterr().out
    assert "block (Sequential)" in table and "block.0" not in table


def test_frozen_parameters_are_non_trainable_and_float64_doubles_the_memory():
    model = sign_language_mlp().double()
    model[0].requires_grad_(False)
    result = summary(model, (784,), dtype=npgrad.float64, print_table=False)
    assert result.non_trainable_params == 784 * 1024 + 1024
    assert result.trainable_params == 1_466_136 - result.non_trainable_params
    assert result.param_bytes == 8 * 1_466_136


def test_input_data_instead_of_a_size():
    result = summary(nn.Linear(3, 2), input_data=np.ones((5, 3), np.float32), print_table=False)
    assert result.rows[0].output_shape == (5, 2)
    with pytest.raises(ValueError, match="exactly one of input_size"):
        summary(nn.Linear(3, 2), print_table=False)


def test_a_wrong_input_size_is_the_layer_s_own_error():
    with pytest.raises(
        ValueError, match=r"Linear\(in_features=784.*expected input with last dimension 784, got shape \(1, 100\)"
    ):
        summary(sign_language_mlp(), (100,), print_table=False)


def test_the_model_comes_back_unchanged():
    model = sign_language_mlp()
    model[1].eval()  # a mixed mode, to be restored exactly
    summary(model, (784,), print_table=False)
    assert model.training and not model[1].training and model[2].training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


# -- MAC rules of layers that arrive later (stand-ins with the same class names and attributes) --
class _StandIn(nn.Module):
    """Returns zeros of a given output shape; has the attributes the MAC rules read."""

    def __init__(self, out_shape, **attributes):
        super().__init__()
        self.out_shape = out_shape
        self.__dict__.update(attributes)

    def forward(self, x):
        return npgrad.zeros(*self.out_shape)


def stand_in(class_name, out_shape, **attributes):
    return type(class_name, (_StandIn,), {})(out_shape, **attributes)


def test_conv_macs_are_output_elements_times_input_channels_per_group_times_kernel():
    conv = stand_in("Conv2d", (2, 16, 30, 30), in_channels=6, out_channels=16, kernel_size=(3, 3), groups=2)
    result = summary(conv, (6, 32, 32), batch_size=2, print_table=False)
    assert result.total_macs == (2 * 16 * 30 * 30) * (6 // 2) * 3 * 3
    conv1d = stand_in("Conv1d", (1, 4, 10), in_channels=3, out_channels=4, kernel_size=(5,), groups=1)
    assert summary(conv1d, (3, 14), print_table=False).total_macs == 4 * 10 * 3 * 5


def test_conv_transpose_macs_are_input_elements_times_output_channels_per_group_times_kernel():
    deconv = stand_in("ConvTranspose2d", (1, 8, 16, 16), in_channels=4, out_channels=8, kernel_size=(2, 2), groups=1)
    assert summary(deconv, (4, 8, 8), print_table=False).total_macs == (4 * 8 * 8) * 8 * 2 * 2


@pytest.mark.parametrize("class_name, gates", [("RNN", 1), ("GRU", 3), ("LSTM", 4)])
def test_recurrent_macs_per_step_layer_and_direction(class_name, gates):
    steps, batch, n_in, hidden = 7, 2, 5, 3
    rnn = stand_in(
        class_name, (steps, batch, 2 * hidden), input_size=n_in, hidden_size=hidden, num_layers=2, bidirectional=True
    )
    per_step = gates * (n_in + hidden) * hidden + gates * (2 * hidden + hidden) * hidden
    result = summary(rnn, (batch, n_in), batch_size=steps, print_table=False)
    assert result.total_macs == steps * batch * per_step * 2


@pytest.mark.parametrize("class_name", ["BatchNorm2d", "MaxPool2d", "LayerNorm", "Embedding", "ReLU"])
def test_normalisation_pooling_embedding_and_activations_count_no_macs(class_name):
    assert class_name not in MAC_RULES


@pytest.mark.skipif(not hasattr(nn, "Conv2d"), reason="nn.Conv2d arrives with the CNN lessons")
def test_real_conv_and_pool_layers():
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(6 * 14 * 14, 10)
    )
    result = summary(model, (1, 28, 28), print_table=False)
    assert result.total_params == 6 * 25 + 6 + 6 * 14 * 14 * 10 + 10
    assert result.total_macs == 6 * 28 * 28 * 25 + 6 * 14 * 14 * 10
    assert [r.output_shape for r in result.rows][2] == (1, 6, 14, 14)


# -- attention -------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_counts_projections_scores_and_weighted_sum(batch_first):
    n, length, source, embed = 2, 5, 7, 8
    mha = nn.MultiheadAttention(embed, 2, batch_first=batch_first)
    shape = (lambda steps: (n, steps, embed)) if batch_first else (lambda steps: (steps, n, embed))
    query, key = npgrad.randn(*shape(length)), npgrad.randn(*shape(source))
    result = summary(mha, input_data=(query, key, key), print_table=False)
    projections = n * length * embed * embed + 2 * n * source * embed * embed
    attention = 2 * n * length * source * embed  # q k^T and weights @ v
    out_proj = n * length * embed * embed
    assert result.total_macs == projections + attention + out_proj


def test_gpt2_small_prints_its_parameters_and_macs(monkeypatch, capsys):
    from npgrad.models import gpt2_small

    for name in ("normal_", "zeros_"):  # no 124M random draws: zero weights trace the same shapes
        monkeypatch.setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor._data.fill(0) or tensor)
    tokens, layers, embed, vocab = 16, 12, 768, 50257
    result = summary(gpt2_small(), (tokens,), dtype=npgrad.int64)
    linears = tokens * (layers * 12 * embed * embed + embed * vocab)  # qkv 3E^2, proj E^2, MLP 8E^2; the head
    attention = layers * 2 * tokens * tokens * embed
    assert result.total_params == 124_439_808
    assert result.total_macs == linears + attention
    table = capsys.readouterr().out
    assert "Total params: 124,439,808" in table and f"Total MACs: {linears + attention:,}" in table
    assert "attn (CausalSelfAttention)" in table
