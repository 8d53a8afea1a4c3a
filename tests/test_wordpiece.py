"""The WordPiece tokenizer against Hugging Face tokenizers and transformers on real text."""

import os

import numpy as np
import pytest

from npgrad.text import WordPieceTokenizer, basic_tokenize

tokenizers = pytest.importorskip("tokenizers")
transformers = pytest.importorskip("transformers")
DATA = os.environ.get("NPGRAD_DATA") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data"
)
WIKI_VALID = os.path.join(DATA, "wikitext-2", "wiki.valid.tokens")
WIKI_TEST = os.path.join(DATA, "wikitext-2", "wiki.test.tokens")
SST2_TEST = os.path.join(DATA, "sst2", "test.tsv")
if not all(os.path.exists(path) for path in (WIKI_VALID, WIKI_TEST, SST2_TEST)):
    pytest.skip(f"wikitext-2 and sst2 not found under NPGRAD_DATA={DATA}", allow_module_level=True)

HARD_CASES = [
    "Café déjà vu — naïve Ünïcödé résumé, Ångström and Øresund",
    "😀 emoji, 中文字 CJK, ☃ snowman, \u0000 a NUL, \u200b zero width and \t tabs\r\n",
    "$3.50 + 12% (ok)? 1,234.56 -- 3/4 #hashtag @user e-mail: x@y.z",
    "a" * 101 + " fits " + "b" * 100,
    "İstanbul straße ﬁne Ǆ ＦＵＬＬＷＩＤＴＨ",
]


def _lines(path, column=None):
    with open(path, encoding="utf-8") as file:
        lines = [line for line in file if line.strip()]
    return lines if column is None else [line.split("\t")[column] for line in lines[1:]]


@pytest.fixture(scope="module")
def vocab_file(tmp_path_factory):
    tokenizer = WordPieceTokenizer.train(_lines(WIKI_VALID), vocab_size=3000)
    return tokenizer.save(str(tmp_path_factory.mktemp("bert")))


@pytest.fixture(scope="module")
def tokenizer(vocab_file):
    return WordPieceTokenizer.from_file(vocab_file)


def test_trained_vocabulary_starts_with_the_special_tokens(tokenizer, vocab_file):
    assert os.path.basename(vocab_file) == "vocab.txt"
    assert tokenizer.tokens[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert (tokenizer.pad_id, tokenizer.unk_id, tokenizer.cls_id, tokenizer.sep_id, tokenizer.mask_id) == (
        0,
        1,
        2,
        3,
        4,
    )
    assert len(tokenizer) == 3000
    assert any(token.startswith("##") for token in tokenizer.tokens)


def test_same_ids_as_tokenizers_and_transformers(tokenizer, vocab_file):
    reference = tokenizers.BertWordPieceTokenizer(vocab_file, lowercase=True)
    bert_tokenizer = transformers.BertTokenizer(vocab_file)
    texts = _lines(SST2_TEST, column=0) + _lines(WIKI_TEST) + HARD_CASES
    assert len(texts) > 3000
    for text in texts:
        ids, segments = tokenizer.encode(text)
        assert ids == reference.encode(text).ids, text
        assert ids == bert_tokenizer(text)["input_ids"], text
        assert segments == [0] * len(ids)
    assert tokenizer.unk_id in tokenizer.encode(HARD_CASES[1])[0]  # the emoji and snowman are unknown


def test_sentence_pairs_and_longest_first_truncation_match_tokenizers(tokenizer, vocab_file):
    reference = tokenizers.BertWordPieceTokenizer(vocab_file, lowercase=True)
    sentences = _lines(SST2_TEST, column=0)[:200]
    for max_length in (None, 12, 25):
        if max_length is not None:
            reference.enable_truncation(max_length, strategy="longest_first")
        for a, b in zip(sentences[::2], sentences[1::2]):
            expected = reference.encode(a, b)
            assert tokenizer.encode(a, b, max_length) == (expected.ids, expected.type_ids)


def test_basic_tokenization_and_wordpiece_pieces(tokenizer):
    assert basic_tokenize("Héllo, WORLD!  Don't") == ["hello", ",", "world", "!", "don", "'", "t"]
    assert basic_tokenize("Héllo", lowercase=False) == ["Héllo"]
    assert tokenizer.wordpiece("x" * 101) == ["[UNK]"]
    pieces = tokenizer.tokenize("unbelievably")
    assert len(pieces) > 1 and all(piece.startswith("##") for piece in pieces[1:])
    assert tokenizer.decode(tokenizer.encode("unbelievably good")[0]) == "unbelievably good"


def test_batch_pads_with_segments_and_mask(tokenizer):
    batch = tokenizer.batch(["a short one", "this first sentence is a longer one"], ["and b", "c"])
    ids, segments, mask = batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]
    assert ids.dtype == segments.dtype == mask.dtype == np.int64 and ids.shape == segments.shape == mask.shape
    for row in range(2):
        length = int(mask[row].sum())
        assert list(mask[row]) == [1] * length + [0] * (ids.shape[1] - length)
        assert (ids[row, length:] == tokenizer.pad_id).all() and (segments[row, length:] == 0).all()
        a, b = tokenizer.encode(["a short one", "this first sentence is a longer one"][row], ["and b", "c"][row])
        assert list(ids[row, :length]) == a and list(segments[row, :length]) == b
    assert mask[1].all()
    assert tokenizer.batch(["x y z"] * 3, max_length=4)["input_ids"].shape == (3, 4)


def test_bad_vocabularies_and_lengths_are_named():
    with pytest.raises(ValueError, match=r"lacks the special tokens \['\[MASK\]'\]"):
        WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"])
    with pytest.raises(ValueError, match="repeats tokens"):
        WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "a"])
    tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"])
    with pytest.raises(ValueError, match="room for 3 special tokens, got 2"):
        tokenizer.encode("a", "a", max_length=2)
