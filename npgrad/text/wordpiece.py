"""BERT's tokenizer: basic tokenization (clean, lower-case, strip accents, split on whitespace
and punctuation, CJK characters as words of their own), then WordPiece, which splits each
word greedily into the longest pieces in the vocabulary ("playing" -> "play", "##ing").

A vocabulary is trained with Hugging Face `tokenizers` (pip install "npgrad[bert]") and
saved as a plain vocab.txt, one token a line, the line number its id; encoding needs only
that file, and gives the same ids as `tokenizers`' BertWordPieceTokenizer and
transformers' BertTokenizer for the same vocabulary.

    tokenizer = WordPieceTokenizer.train(sentences, vocab_size=8000)
    tokenizer.save("vocab.txt"); tokenizer = WordPieceTokenizer.from_file("vocab.txt")
    batch = tokenizer.batch(["a first sentence"], ["its pair"], max_length=64)
    batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]   # (N, T) int64
"""

from __future__ import annotations

import os
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = (PAD, UNK, CLS, SEP, MASK)
CONTINUATION = "##"
MAX_WORD_CHARS = 100  # a longer word is [UNK], as BERT


def _is_whitespace(char):
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_control(char):
    return char not in "\t\n\r" and unicodedata.category(char).startswith("C")


def _is_punctuation(char):
    """ASCII symbols ($, +, ^, ...) count as punctuation, as BERT has it, besides Unicode's P*."""
    code = ord(char)
    return (
        33 <= code <= 47
        or 58 <= code <= 64
        or 91 <= code <= 96
        or 123 <= code <= 126
        or unicodedata.category(char).startswith("P")
    )


def _is_cjk(char):
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def _clean(text):
    """Control characters and U+0000 / U+FFFD dropped, every whitespace a space, spaces around CJK."""
    out = []
    for char in text:
        if char in "\x00\ufffd" or _is_control(char):
            continue
        out.append(" " if _is_whitespace(char) else f" {char} " if _is_cjk(char) else char)
    return "".join(out)


def _strip_accents(word):
    return "".join(char for char in unicodedata.normalize("NFD", word) if unicodedata.category(char) != "Mn")


def _split_punctuation(word):
    pieces, current = [], []
    for char in word:
        if _is_punctuation(char):
            pieces += ["".join(current)] if current else []
            pieces.append(char)
            current = []
        else:
            current.append(char)
    return pieces + (["".join(current)] if current else [])


def basic_tokenize(text: str, lowercase: bool = True, strip_accents: bool | None = None) -> list[str]:
    """BERT's BasicTokenizer: "Héllo, WORLD!" -> ["hello", ",", "world", "!"]. strip_accents
    None follows lowercase."""
    strip_accents = lowercase if strip_accents is None else strip_accents
    words = []
    for word in _clean(text).split():
        word = word.lower() if lowercase else word
        word = _strip_accents(word) if strip_accents else word
        words += _split_punctuation(word)
    return words


def truncate_longest_first(a: Sequence[T], b: Sequence[T], max_tokens: int) -> tuple[list[T], list[T]]:
    """a and b cut from their ends to max_tokens together, as tokenizers' longest_first: the
    shorter (a on a tie) keeps up to half, max_tokens // 2, and the longer the rest."""
    if len(a) + len(b) <= max_tokens:
        return list(a), list(b)
    if len(a) <= len(b):
        kept_a = min(len(a), max_tokens // 2)
        return list(a[:kept_a]), list(b[: max_tokens - kept_a])
    kept_b = min(len(b), max_tokens // 2)
    return list(a[: max_tokens - kept_b]), list(b[:kept_b])


def _continuation_tokens(trainer, texts: list[str], limit_alphabet: int) -> list[str]:
    """ "##c" for every character c of the trainer's alphabet (its limit_alphabet most frequent
    characters) that occurs inside a word, sorted: the trainer's words, as its own normalizer
    and pre-tokenizer cut them."""
    counts: Counter[str] = Counter()
    inside: set[str] = set()
    for text in texts:
        for word, _ in trainer.pre_tokenizer.pre_tokenize_str(trainer.normalizer.normalize_str(text)):
            counts.update(word)
            inside.update(word[1:])
    alphabet = {char for char, _ in counts.most_common(limit_alphabet)}
    return sorted(CONTINUATION + char for char in inside & alphabet)


class WordPieceTokenizer:
    """Text to BERT token ids with a WordPiece vocabulary: `vocab` a list of tokens (id = index)
    that holds the five special tokens [PAD] [UNK] [CLS] [SEP] [MASK]."""

    def __init__(self, vocab: Iterable[str], lowercase: bool = True, strip_accents: bool | None = None) -> None:
        self.tokens = list(vocab)
        self.ids = {token: i for i, token in enumerate(self.tokens)}
        if len(self.ids) != len(self.tokens):
            raise ValueError(
                f"WordPieceTokenizer: the vocabulary repeats tokens ({len(self.tokens)} lines, "
                f"{len(self.ids)} distinct)"
            )
        missing = [token for token in SPECIAL_TOKENS if token not in self.ids]
        if missing:
            raise ValueError(f"WordPieceTokenizer: the vocabulary lacks the special tokens {missing}")
        self.lowercase, self.strip_accents = lowercase, strip_accents
        self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id = (self.ids[t] for t in SPECIAL_TOKENS)
        self.special_ids = frozenset((self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id))

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], lowercase: bool = True, strip_accents: bool | None = None
    ) -> WordPieceTokenizer:
        """The tokenizer of a vocab.txt (one token a line, as BERT's), without `tokenizers`."""
        with open(path, encoding="utf-8") as file:
            return cls([line.rstrip("\n") for line in file], lowercase, strip_accents)

    def save(self, path: str | os.PathLike[str]) -> str | os.PathLike[str]:
        """Write the vocabulary as vocab.txt (path a file, or a directory to write vocab.txt in)."""
        path = os.path.join(path, "vocab.txt") if os.path.isdir(path) else path
        with open(path, "w", encoding="utf-8") as file:
            file.writelines(token + "\n" for token in self.tokens)
        return path

    @classmethod
    def train(
        cls,
        texts: Iterable[str],
        vocab_size: int = 8000,
        min_frequency: int = 2,
        limit_alphabet: int = 1000,
        lowercase: bool = True,
    ) -> WordPieceTokenizer:
        """Learn a vocabulary of up to vocab_size tokens from an iterable of strings with
        `tokenizers`' WordPiece trainer; the special tokens take ids 0-4 in the order
        [PAD] [UNK] [CLS] [SEP] [MASK], the other tokens follow in sorted order (the trainer
        orders tied merges differently from run to run; sorting gives the same ids every run).
        The trainer breaks ties between equally frequent merges by token id, and gives the "##"
        tokens their ids in its hash map's order, which changes from process to process
        (huggingface/tokenizers#1794), so the vocabulary itself could differ by a few tokens
        of 8,000; registering the "##" tokens first, in sorted order, gives them fixed ids and
        the same vocabulary in every run."""
        try:
            from tokenizers import BertWordPieceTokenizer
        except ImportError as error:
            raise ImportError(
                'WordPieceTokenizer.train needs Hugging Face tokenizers: pip install "npgrad[bert]"'
            ) from error
        texts = list(texts)
        trainer = BertWordPieceTokenizer(lowercase=lowercase)
        trainer.train_from_iterator(
            texts,
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            limit_alphabet=limit_alphabet,
            special_tokens=[*SPECIAL_TOKENS, *_continuation_tokens(trainer, texts, limit_alphabet)],
            show_progress=False,
        )
        learned = sorted(set(trainer.get_vocab()) - set(SPECIAL_TOKENS))
        return cls([*SPECIAL_TOKENS, *learned], lowercase)

    def wordpiece(self, word: str) -> list[str]:
        """One word's pieces, greedy longest match first: "unaffable" -> ["un", "##aff", "##able"];
        [UNK] alone if some part of it has no piece or it is longer than 100 characters."""
        if len(word) > MAX_WORD_CHARS:
            return [UNK]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else CONTINUATION + word[start:end]
                if piece in self.ids:
                    break
                end -= 1
            if end == start:
                return [UNK]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """`text` as WordPiece tokens (strings), without [CLS] and [SEP]."""
        return [
            piece for word in basic_tokenize(text, self.lowercase, self.strip_accents) for piece in self.wordpiece(word)
        ]

    def convert_tokens_to_ids(self, tokens: Iterable[str]) -> list[int]:
        return [self.ids.get(token, self.unk_id) for token in tokens]

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """Token ids back to text, "##" pieces glued to the piece before them."""
        tokens = [self.tokens[i] for i in ids if not (skip_special_tokens and i in self.special_ids)]
        return " ".join(tokens).replace(" " + CONTINUATION, "")

    def encode(self, text: str, pair: str | None = None, max_length: int | None = None) -> tuple[list[int], list[int]]:
        """(ids, token_type_ids): [CLS] A [SEP] with segment 0, then B [SEP] with segment 1 if
        `pair` is given; with max_length, the longer of A and B loses tokens from its end first."""
        a = self.convert_tokens_to_ids(self.tokenize(text))
        b = None if pair is None else self.convert_tokens_to_ids(self.tokenize(pair))
        return self.encode_ids(a, b, max_length)

    def encode_ids(
        self, a: Sequence[int], b: Sequence[int] | None = None, max_length: int | None = None
    ) -> tuple[list[int], list[int]]:
        """encode() for texts already turned into ids."""
        specials = 2 if b is None else 3
        if max_length is not None:
            if max_length < specials:
                raise ValueError(
                    f"WordPieceTokenizer: max_length must leave room for {specials} special tokens, got {max_length}"
                )
            if b is None:
                a = a[: max_length - specials]
            else:
                a, b = truncate_longest_first(a, b, max_length - specials)
        ids = [self.cls_id, *a, self.sep_id]
        segments = [0] * len(ids)
        if b is not None:
            ids += [*b, self.sep_id]
            segments += [1] * (len(b) + 1)
        return ids, segments

    def batch(
        self, texts: Sequence[str], pairs: Sequence[str] | None = None, max_length: int | None = None
    ) -> dict[str, np.ndarray]:
        """Encode a batch and pad it with [PAD] to its longest sequence: a dict of (N, T) int64
        arrays input_ids, token_type_ids and attention_mask (1 for a token, 0 for padding)."""
        if pairs is not None and len(pairs) != len(texts):
            raise ValueError(f"WordPieceTokenizer: {len(texts)} texts but {len(pairs)} pairs")
        encoded = [self.encode(text, None if pairs is None else pairs[i], max_length) for i, text in enumerate(texts)]
        return self.pad(encoded)

    def pad(self, encoded: Sequence[tuple[Sequence[int], Sequence[int]]]) -> dict[str, np.ndarray]:
        """A list of (ids, token_type_ids) padded into the arrays batch() returns."""
        length = max(len(ids) for ids, _ in encoded)
        input_ids = np.full((len(encoded), length), self.pad_id, dtype=np.int64)
        token_type_ids = np.zeros((len(encoded), length), dtype=np.int64)
        attention_mask = np.zeros((len(encoded), length), dtype=np.int64)
        for row, (ids, segments) in enumerate(encoded):
            input_ids[row, : len(ids)], token_type_ids[row, : len(ids)], attention_mask[row, : len(ids)] = (
                ids,
                segments,
                1,
            )
        return {"input_ids": input_ids, "token_type_ids": token_type_ids, "attention_mask": attention_mask}
