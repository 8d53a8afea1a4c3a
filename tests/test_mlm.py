"""Masked-LM collator and next-sentence pairs: proportions within 5 standard deviations."""

import os

import numpy as np
import pytest
import torch

import npgrad
import npgrad.nn.functional as F
from npgrad.text import WordPieceTokenizer
from npgrad.text.mlm import (
    IGNORE_INDEX,
    IS_NEXT,
    NOT_NEXT,
    MaskedLMCollator,
    next_sentence_pairs,
    pretraining_batch,
    split_sentences,
    wikitext_documents,
)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
VOCAB = SPECIALS + [f"w{i}" for i in range(2000)]
FIVE_SIGMA = 5.0


@pytest.fixture(scope="module")
def tokenizer():
    return WordPieceTokenizer(VOCAB)


def _padded_pairs(tokenizer, rows=4000, length=128, seed=1):
    """[CLS] A [SEP] B [SEP] [PAD]... rows of random ordinary tokens, some [UNK], of varied lengths."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(len(SPECIALS), len(VOCAB), size=(rows, length))
    ids[rng.random(ids.shape) < 0.01] = tokenizer.unk_id
    for row, used in enumerate(rng.integers(10, length + 1, size=rows)):
        middle = int(rng.integers(2, used - 1))
        ids[row, [0, middle, used - 1]] = tokenizer.cls_id, tokenizer.sep_id, tokenizer.sep_id
        ids[row, used:] = tokenizer.pad_id
    return ids


def _within(count, total, p):
    return abs(count / total - p) < FIVE_SIGMA * np.sqrt(p * (1 - p) / total)


def test_masking_proportions_within_tight_bounds(tokenizer):
    ids = _padded_pairs(tokenizer)
    out, labels = MaskedLMCollator(tokenizer, seed=0)(ids)
    eligible = ~np.isin(
        ids, [tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id, tokenizer.mask_id, tokenizer.unk_id]
    )
    selected = labels != IGNORE_INDEX
    assert eligible.sum() > 200_000
    assert not (selected & ~eligible).any()  # [CLS], [SEP], [PAD] never selected
    assert _within(selected.sum(), eligible.sum(), 0.15)
    assert abs(selected.sum() / eligible.sum() - 0.15) < 0.005
    masked = selected & (out == tokenizer.mask_id)
    kept = selected & (out == ids)
    randomized = selected & ~masked & ~kept
    for part, p in ((masked, 0.8), (randomized, 0.1), (kept, 0.1)):
        assert _within(part.sum(), selected.sum(), p)
        assert abs(part.sum() / selected.sum() - p) < 0.01
    assert (labels[selected] == ids[selected]).all() and (labels[~selected] == IGNORE_INDEX).all()
    assert (out[~selected] == ids[~selected]).all()
    assert not np.isin(out[randomized], sorted(tokenizer.special_ids)).any()
    draws, ordinary = randomized.sum(), len(VOCAB) - len(SPECIALS)  # uniform: 1 - exp(-draws / ordinary) seen
    assert np.unique(out[randomized]).size > 0.95 * ordinary * (1 - np.exp(-draws / ordinary))
    assert out.dtype == labels.dtype == np.int64


def test_masking_ratio_and_fractions_are_options(tokenizer):
    ids = _padded_pairs(tokenizer, rows=1000)
    eligible = ~np.isin(ids, sorted(tokenizer.special_ids))
    out, labels = MaskedLMCollator(tokenizer, mlm_probability=0.4, mask_fraction=1.0, random_fraction=0.0, seed=3)(ids)
    selected = labels != IGNORE_INDEX
    assert _within(selected.sum(), eligible.sum(), 0.4)
    assert (out[selected] == tokenizer.mask_id).all()


def test_same_seed_same_masks_other_seed_other_masks(tokenizer):
    ids = _padded_pairs(tokenizer, rows=50)
    first = MaskedLMCollator(tokenizer, seed=7)(ids)
    again = MaskedLMCollator(tokenizer, seed=7)(ids)
    other = MaskedLMCollator(tokenizer, seed=8)(ids)
    assert all((a == b).all() for a, b in zip(first, again))
    assert not (first[1] == other[1]).all()


def test_cross_entropy_skips_the_minus_100_labels_as_torch(tokenizer):
    ids = _padded_pairs(tokenizer, rows=6, length=20)
    _, labels = MaskedLMCollator(tokenizer, seed=0)(ids)
    logits = np.random.default_rng(0).standard_normal((labels.size, len(VOCAB))).astype(np.float32)
    ours = F.cross_entropy(npgrad.tensor(logits), npgrad.tensor(labels.reshape(-1)))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels.reshape(-1)))
    selected = labels.reshape(-1) != IGNORE_INDEX
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    by_hand = -log_probs[selected, labels.reshape(-1)[selected]].mean()
    np.testing.assert_allclose(float(ours), theirs.item(), rtol=1e-5)
    np.testing.assert_allclose(float(ours), by_hand, rtol=1e-5)


def test_bad_collator_input_is_named(tokenizer):
    with pytest.raises(ValueError, match=r"token ids in \[0, 2005\), got int64 ids in \[0, 2005\]"):
        MaskedLMCollator(tokenizer)(np.array([[0, 2005]]))
    with pytest.raises(ValueError, match="mlm_probability must be in"):
        MaskedLMCollator(tokenizer, mlm_probability=1.5)


def _documents(count=40, sentences=30):
    return [[f"d{d} s{s} ." for s in range(sentences)] for d in range(count)]


def test_next_sentence_pairs_half_true_next_half_from_another_document():
    documents = _documents()
    pairs = next_sentence_pairs(documents, seed=0)
    assert len(pairs) == sum(len(document) - 1 for document in documents)
    labels = np.array([label for _, _, label in pairs])
    assert _within((labels == IS_NEXT).sum(), len(labels), 0.5)
    for a, b, label in pairs:
        doc_a, sentence_a = a.split()[:2]
        doc_b, sentence_b = b.split()[:2]
        if label == IS_NEXT:
            assert doc_a == doc_b and int(sentence_b[1:]) == int(sentence_a[1:]) + 1
        else:
            assert label == NOT_NEXT and doc_a != doc_b
    assert next_sentence_pairs(documents, seed=0) == pairs != next_sentence_pairs(documents, seed=1)
    with pytest.raises(ValueError, match="at least 2 documents are needed, got 1"):
        next_sentence_pairs(documents[:1])


def test_sentences_and_wikitext_articles():
    assert split_sentences("It ends . Then H. americanus ! Why ? yes") == [
        "It ends .",
        "Then H. americanus !",
        "Why ? yes",
    ]
    lines = [" = Alpha = \n", " \n", " = = Part = = \n", " One . Two !\n", " = Beta = \n", " Three .\n"]
    assert wikitext_documents(lines) == [["One .", "Two !"], ["Three ."]]
    path = os.path.join(os.environ.get("NPGRAD_DATA", ""), "wikitext-2", "wiki.valid.tokens")
    if os.path.exists(path):  # the real articles, when NPGRAD_DATA points at them
        with open(path, encoding="utf-8") as file:
            documents = wikitext_documents(file)
        assert len(documents) > 50 and sum(map(len, documents)) > 5000


def test_pretraining_batch(tokenizer):
    documents = [[" ".join(f"w{(d * 7 + s + k) % 2000}" for k in range(s % 9 + 1)) for s in range(6)] for d in range(5)]
    pairs = next_sentence_pairs(documents, seed=0)
    batch = pretraining_batch(tokenizer, pairs, MaskedLMCollator(tokenizer, seed=0), max_length=12)
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask", "labels", "next_sentence_label"}
    assert batch["input_ids"].shape == batch["labels"].shape == (len(pairs), 12)
    assert list(batch["next_sentence_label"]) == [label for _, _, label in pairs]
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE_INDEX).all()
