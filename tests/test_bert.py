"""BERT against transformers' BertModel, BertForPreTraining and BertForSequenceClassification
at a small random configuration (no download): same hidden states, logits, losses and gradients."""

import numpy as np
import pytest
import torch

from npgrad.models import (
    BERT,
    BertConfig,
    BertForPreTraining,
    BertForSequenceClassification,
    bert_base,
    bert_large,
    bert_mini,
    bert_tiny,
    from_huggingface_bert,
    huggingface_bert_state_dict,
)
from npgrad.text import WordPieceTokenizer

transformers = pytest.importorskip("transformers")
HEADS, VOCAB = 4, 97


def _huggingface(cls, **options):
    """A transformers model at a tiny config, every parameter random (not BERT's 0/1 biases and
    norms), so that a misplaced weight shows."""
    config = transformers.BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=HEADS,
        intermediate_size=48,
        max_position_embeddings=24,
        type_vocab_size=2,
        attn_implementation="eager",
        **options,
    )
    torch.manual_seed(0)
    model = cls(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model


def _inputs():
    """Three [CLS] A [SEP] B [SEP] rows with segment ids, two of them padded."""
    rng = np.random.default_rng(0)
    ids = rng.integers(5, VOCAB, size=(3, 13))
    segments = np.zeros_like(ids)
    mask = np.ones_like(ids)
    for row, (middle, used) in enumerate([(6, 13), (4, 9), (3, 6)]):
        ids[row, [0, middle, used - 1]] = 2, 3, 3
        segments[row, middle + 1 : used] = 1
        ids[row, used:], mask[row, used:] = 0, 0
    return ids, segments, mask


def _torch(*arrays):
    return [torch.tensor(a) for a in arrays]


def _close(ours, theirs, atol=2e-5):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-4, atol=atol)


def _compare_gradients(ours, theirs):
    """Every parameter's gradient, transformers' names mapped through huggingface_bert_state_dict."""
    expected = huggingface_bert_state_dict({name: p.grad for name, p in theirs.named_parameters()})
    got = dict(ours.named_parameters())
    assert set(expected) == set(got)
    for name, grad in expected.items():
        np.testing.assert_allclose(np.asarray(got[name].grad), grad, rtol=1e-4, atol=2e-5, err_msg=name)


def test_bert_model_hidden_states_and_pooled_output():
    theirs = _huggingface(transformers.BertModel)
    ours = from_huggingface_bert(theirs.state_dict(), HEADS).eval()
    assert type(ours) is BERT and ours.config.intermediate_size == 48 and ours.config.max_position_embeddings == 24
    ids, segments, mask = _inputs()
    hidden, pooled = ours(ids, segments, mask)
    expected = theirs(*_torch(ids), attention_mask=torch.tensor(mask), token_type_ids=torch.tensor(segments))
    _close(hidden, expected.last_hidden_state)
    _close(pooled, expected.pooler_output)
    unpadded = theirs(torch.tensor(ids[:1]))
    _close(ours(ids[:1])[0], unpadded.last_hidden_state)  # default segments 0 and no mask


def test_bert_without_pooler_loads_too():
    config = transformers.BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=HEADS,
        intermediate_size=48,
        max_position_embeddings=24,
    )
    theirs = transformers.BertModel(config, add_pooling_layer=False).eval()
    ours = from_huggingface_bert(theirs.state_dict(), HEADS).eval()
    ids = _inputs()[0]
    assert ours.pooler is None and ours(ids)[1] is None
    _close(ours(ids)[0], theirs(torch.tensor(ids)).last_hidden_state)
    tensorflow_names = {
        name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): value
        for name, value in theirs.state_dict().items()
    }
    _close(from_huggingface_bert(tensorflow_names, HEADS).eval()(ids)[0], theirs(torch.tensor(ids)).last_hidden_state)


def test_pretraining_logits_loss_and_gradients():
    theirs = _huggingface(transformers.BertForPreTraining)
    ours = from_huggingface_bert(theirs.state_dict(), HEADS).eval()
    assert type(ours) is BertForPreTraining
    assert ours.mlm_head.decoder.weight is ours.bert.embeddings.word_embeddings.weight  # tied
    ids, segments, mask = _inputs()
    labels = np.full_like(ids, -100)
    labels[:, [1, 2, 4]] = ids[:, [1, 2, 4]]
    nsp = np.array([0, 1, 1])
    mlm_logits, nsp_logits, loss = ours(ids, segments, mask, labels, nsp)
    expected = theirs(
        *_torch(ids),
        attention_mask=torch.tensor(mask),
        token_type_ids=torch.tensor(segments),
        labels=torch.tensor(labels),
        next_sentence_label=torch.tensor(nsp),
        output_hidden_states=True,
    )
    _close(mlm_logits, expected.prediction_logits)
    _close(nsp_logits, expected.seq_relationship_logits)
    _close(ours.bert(ids, segments, mask)[0], expected.hidden_states[-1])
    _close(loss, expected.loss)
    loss.backward()
    expected.loss.backward()
    _compare_gradients(ours, theirs)
    assert ours(ids, segments, mask)[2] is None


def test_sequence_classification_logits_loss_and_gradients():
    theirs = _huggingface(transformers.BertForSequenceClassification, num_labels=3)
    ours = from_huggingface_bert(theirs.state_dict(), HEADS).eval()
    assert type(ours) is BertForSequenceClassification and ours.config.num_labels == 3
    ids, segments, mask = _inputs()
    labels = np.array([2, 0, 1])
    logits, loss = ours(ids, segments, mask, labels)
    expected = theirs(
        *_torch(ids),
        attention_mask=torch.tensor(mask),
        token_type_ids=torch.tensor(segments),
        labels=torch.tensor(labels),
    )
    _close(logits, expected.logits)
    _close(loss, expected.loss)
    loss.backward()
    expected.loss.backward()
    _compare_gradients(ours, theirs)


def test_bert_base_parameter_count():
    model = BERT(bert_base())
    assert sum(p.numel() for p in model.parameters()) == 109_482_240


def test_named_configs():
    sizes = [
        (c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.intermediate_size)
        for c in (bert_tiny(), bert_mini(), bert_base(), bert_large())
    ]
    assert sizes == [(2, 128, 2, 512), (4, 256, 4, 1024), (12, 768, 12, 3072), (24, 1024, 16, 4096)]
    assert bert_tiny(vocab_size=500).vocab_size == 500
    with pytest.raises(
        ValueError,
        match="hidden_size must be a multiple of num_attention_heads, got hidden_size=100 and num_attention_heads=3",
    ):
        BertConfig(hidden_size=100, num_attention_heads=3)


def test_initialisation_and_dropout():
    model = BertForPreTraining(bert_tiny(vocab_size=300, max_position_embeddings=16))
    embedding = model.bert.embeddings.word_embeddings.weight.detach().numpy()
    assert (embedding[0] == 0).all() and abs(embedding[1:].std() - 0.02) < 0.002
    assert (model.mlm_head.bias.detach().numpy() == 0).all()
    ids = np.arange(5, 65).reshape(4, 15)
    first, second = (model(ids)[0].detach().numpy() for _ in range(2))
    assert not np.allclose(first, second)  # dropout in training
    model.eval()
    np.testing.assert_array_equal(model(ids)[0].detach().numpy(), model(ids)[0].detach().numpy())


def test_bad_inputs_name_the_sizes():
    model = BERT(bert_tiny(vocab_size=50, max_position_embeddings=8))
    with pytest.raises(ValueError, match="sequences of 9 tokens are longer than max_position_embeddings = 8"):
        model(np.ones((1, 9), np.int64))
    with pytest.raises(ValueError, match=r"input_ids must be in \[0, 50\), got values in \[1, 50\]"):
        model(np.array([[1, 50]]))
    with pytest.raises(ValueError, match=r"token_type_ids must be in \[0, 2\)"):
        model(np.array([[1, 2]]), np.array([[0, 2]]))
    with pytest.raises(ValueError, match=r"attention_mask as integers of shape \(1, 2\), got int64 \(1, 3\)"):
        model(np.array([[1, 2]]), None, np.array([[1, 1, 0]]))
    tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"])
    with pytest.raises(ValueError, match="the tokenizer has 6 tokens but the model's vocab_size is 50"):
        model.check_vocabulary(tokenizer)
