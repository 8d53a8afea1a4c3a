"""npgrad.models.seq2seq: the attention layers against the same formulas written in torch (outputs,
input and parameter gradients, zero weight at padding); Seq2Seq shapes, dtype and gradients;
padding invariance; beam search of width 1 equal to greedy decoding; errors at the boundary; and
the quick version of the seq2seq-attention lesson."""

import os

import numpy as np
import pytest

import npgrad
from npgrad.models import BahdanauAttention, LuongAttention, Seq2Seq
from npgrad.models.seq2seq import padding_mask
from npgrad.nn import functional as F

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
B, S, QUERY, KEY = 3, 5, 4, 6
LENGTHS = np.array([5, 2, 3])


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def torch_attention(kind, query, keys, mask, weights):
    """The scores of each kind, the mask, the softmax and the weighted mean, written out in torch."""
    if kind == "bahdanau":
        w_q, w_k, v = weights
        scores = (torch.tanh((query @ w_q.T)[:, None] + keys @ w_k.T) @ v.T).squeeze(-1)  # v^T tanh(W_q q + W_k k)
    elif kind == "general":
        scores = torch.einsum("bq,qk,bsk->bs", query, weights[0], keys)  # q^T W k
    else:
        scores = torch.einsum("bq,bsq->bs", query, keys)  # q . k
    attention = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
    return torch.einsum("bs,bsk->bk", attention, keys), attention


def attention_layer(kind):
    if kind == "bahdanau":
        return BahdanauAttention(QUERY, KEY, hidden_size=7)
    return LuongAttention(QUERY, QUERY if kind == "dot" else KEY, method=kind)


@pytest.mark.parametrize("kind", ["bahdanau", "dot", "general"])
def test_attention_matches_torch_forward_and_backward(kind):
    layer = attention_layer(kind)
    key_size = layer.key_size
    query, keys = randn(B, QUERY), randn(B, S, key_size)
    mask = padding_mask(LENGTHS, S)
    grad_context, grad_weights = randn(B, key_size), randn(B, S)

    q, k = npgrad.tensor(query, requires_grad=True), npgrad.tensor(keys, requires_grad=True)
    context, weights = layer(q, k, key_padding_mask=mask)
    ((context * npgrad.tensor(grad_context)).sum() + (weights * npgrad.tensor(grad_weights)).sum()).backward()

    tq, tk = torch.tensor(query, requires_grad=True), torch.tensor(keys, requires_grad=True)
    parameters = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in layer.parameters()]
    t_context, t_weights = torch_attention(kind, tq, tk, torch.tensor(mask), parameters)
    ((t_context * torch.tensor(grad_context)).sum() + (t_weights * torch.tensor(grad_weights)).sum()).backward()

    assert context.dtype == weights.dtype == np.float32
    np.testing.assert_allclose(context.detach().numpy(), t_context.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(weights.detach().numpy(), t_weights.detach().numpy(), atol=1e-6)
    assert np.all(weights.detach().numpy()[mask] == 0)
    np.testing.assert_allclose(weights.detach().numpy().sum(axis=1), 1, atol=1e-6)
    for ours, theirs in [(q, tq), (k, tk), *zip(layer.parameters(), parameters)]:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-5)


def test_masked_keys_get_no_gradient():
    layer = BahdanauAttention(QUERY, KEY)
    keys = npgrad.tensor(randn(B, S, KEY), requires_grad=True)
    context, _ = layer(npgrad.tensor(randn(B, QUERY)), keys, padding_mask(LENGTHS, S))
    context.sum().backward()
    assert np.all(keys.grad.numpy()[padding_mask(LENGTHS, S)] == 0)


def model(attention="bahdanau", bidirectional=False, src_vocab=11, tgt_vocab=13):
    npgrad.manual_seed(0)
    return Seq2Seq(
        src_vocab, tgt_vocab, embedding_dim=8, hidden_size=10, attention=attention, bidirectional=bidirectional
    )


def source_batch():
    """Three sentences of lengths 5, 2, 3 (ids >= 4, past the specials), padded with 0."""
    src = RNG.integers(4, 11, (B, S))
    src[padding_mask(LENGTHS, S)] = 0
    return src


@pytest.mark.parametrize("attention", [None, "bahdanau", "dot", "general"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_seq2seq_forward_backward_shapes_and_dtype(attention, bidirectional):
    if attention == "dot" and bidirectional:
        with pytest.raises(ValueError, match="query_size == key_size"):
            model(attention, bidirectional)
        return
    net = model(attention, bidirectional)
    tgt = RNG.integers(1, 13, (B, 7))
    logits = net(source_batch(), LENGTHS, tgt[:, :-1])
    assert logits.shape == (B, 6, 13) and logits.dtype == np.float32
    F.cross_entropy(logits.reshape(-1, 13), tgt[:, 1:].reshape(-1)).backward()
    for name, parameter in net.named_parameters():
        assert parameter.grad is not None and parameter.grad.dtype == np.float32, name
        assert parameter.grad.shape == parameter.shape, name
    if attention is not None:
        assert net.decoder.attention.key_size == 10 * (2 if bidirectional else 1)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_does_not_change_the_outputs(bidirectional):
    net = model("bahdanau", bidirectional)
    src = np.concatenate([source_batch(), np.zeros((B, 3), np.int64)], axis=1)  # 3 more columns of padding
    tgt_in = RNG.integers(1, 13, (B, 4))
    logits, weights = net.teacher_forced(src, LENGTHS, tgt_in)
    for i, length in enumerate(LENGTHS):
        alone_logits, alone_weights = net.teacher_forced(src[i : i + 1, :length], LENGTHS[i : i + 1], tgt_in[i : i + 1])
        np.testing.assert_allclose(logits.detach().numpy()[i], alone_logits.detach().numpy()[0], atol=1e-5)
        np.testing.assert_allclose(
            weights.detach().numpy()[i, :, :length], alone_weights.detach().numpy()[0], atol=1e-6
        )
        assert np.all(weights.detach().numpy()[i, :, length:] == 0)


@pytest.mark.parametrize("attention", [None, "general"])
def test_translate_with_beam_1_is_greedy(attention):
    net = model(attention)
    src = source_batch()
    greedy = net.translate(src, LENGTHS, max_len=8)
    beam = net.translate(src, LENGTHS, max_len=8, beam_size=1)
    assert net.training  # translate switches to eval mode and back
    for g, b, length in zip(greedy, beam, LENGTHS):
        assert g.tokens.tolist() == b.tokens.tolist()
        if attention is None:
            assert g.attention is None
        else:
            assert g.attention.shape == (len(g.tokens), length)
            np.testing.assert_allclose(g.attention.sum(axis=1), 1, atol=1e-6)
    assert len(net.translate(src, LENGTHS, max_len=8, beam_size=4)) == B


def test_attention_maps_are_the_weights_used_while_decoding():
    net = model("bahdanau")
    net.eval()
    src = source_batch()
    translation = net.translate(src[1:2], LENGTHS[1:2], max_len=6)[0]
    hidden, memory = net.encode(src[1:2, : LENGTHS[1]], LENGTHS[1:2])
    previous, seen = np.array([net.bos_id]), []
    with npgrad.no_grad():
        for token in translation.tokens:
            _, hidden, weights = net.decoder.step(previous, hidden, memory)
            seen.append(weights.detach().numpy()[0])
            previous = np.array([token])
    np.testing.assert_allclose(translation.attention, np.stack(seen), atol=1e-6)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda net: net(np.arange(5) + 4, [5], np.ones((1, 3), np.int64)), r"src as integers \(batch, length\)"),
        (lambda net: net(np.ones((2, 5)), [5, 5], np.ones((2, 3), np.int64)), "src as integers"),
        (lambda net: net(np.ones((2, 5), np.int64), [5], np.ones((2, 3), np.int64)), "has 1 lengths"),
        (
            lambda net: net(np.ones((2, 5), np.int64), [5, 6], np.ones((2, 3), np.int64)),
            "between 1 and the padded length 5",
        ),
        (lambda net: net(np.ones((2, 5), np.int64), [0, 5], np.ones((2, 3), np.int64)), "between 1"),
        (lambda net: net(np.ones((2, 5), np.int64), [[5, 5]], np.ones((2, 3), np.int64)), "src_lengths as integers"),
        (lambda net: net(np.ones((2, 5), np.int64), [5, 5], np.ones((3, 3), np.int64)), "tgt_in has 3"),
        (lambda net: net(np.ones((2, 5), np.int64), [5, 5], np.ones(3, np.int64)), "tgt_in as integers"),
        (lambda net: net.translate(np.ones(5, np.int64)), "src as integers"),
        (lambda net: Seq2Seq(5, 5, attention="luong"), "attention must be None, 'bahdanau'"),
        (lambda net: LuongAttention(4, 4, method="concat"), "method must be one of"),
    ],
)
def test_bad_inputs_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(model())


@pytest.mark.parametrize(
    "query, keys, mask, message",
    [
        ((B, QUERY + 1), (B, S, KEY), None, r"expected a query \(batch, 4\)"),
        ((B, QUERY), (B, S), None, "expected keys"),
        ((B, QUERY), (B + 1, S, KEY), None, "expected keys"),
        ((B, QUERY), (B, S, KEY), np.zeros((B, S + 1), bool), "key_padding_mask"),
        ((B, QUERY), (B, S, KEY), np.zeros((B, S), np.int64), "bool key_padding_mask"),
    ],
)
def test_attention_rejects_bad_shapes(query, keys, mask, message):
    with pytest.raises(ValueError, match=message):
        BahdanauAttention(QUERY, KEY)(npgrad.tensor(randn(*query)), npgrad.tensor(randn(*keys)), mask)


def test_seq2seq_attention_lesson_quick(quick_lesson):
    data = os.environ.get("NPGRAD_DATA", os.path.expanduser("~/.cache/npgrad"))
    for folder in ("anki-fra-eng", "anki-kor-eng"):
        if not os.path.isdir(os.path.join(data, "translation", folder)):
            pytest.skip(f"Tatoeba pairs translation/{folder} not found under $NPGRAD_DATA")
    result, out, _ = quick_lesson("seq2seq-attention")
    for task in ("fr-en", "ko-en"):
        for name, model_result in result["tasks"][task]["models"].items():
            losses = model_result["history"]["loss"]
            assert losses[-1] < losses[0], (task, name)
            assert set(model_result["bleu"]) == {"all", *result["tasks"][task]["test_sentences_per_bucket"]}
            assert all(0 <= score <= 100 for score in model_result["bleu"].values())
        assert "beam_bleu" in result["tasks"][task]["models"]["attention"]
    for figure in ("bleu_by_length.png", "attention_maps.png"):
        assert (out / figure).stat().st_size > 10_000
