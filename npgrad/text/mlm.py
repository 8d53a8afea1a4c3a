"""BERT's pretraining data: masked-LM batches and next-sentence pairs.

    collator = MaskedLMCollator(tokenizer, seed=0)
    pairs = next_sentence_pairs(documents, seed=0)          # documents: lists of sentences
    batch = pretraining_batch(tokenizer, pairs, collator, max_length=128)
    batch["input_ids"], batch["labels"], batch["next_sentence_label"], ...

Labels follow Hugging Face's BertForPreTraining: an MLM label is the original id at a
selected position and -100 elsewhere (cross_entropy's default ignore_index skips it); a
next-sentence label is 0 when B is the sentence after A, 1 when B is a random sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ..types import ArrayLike
from .wordpiece import WordPieceTokenizer

IGNORE_INDEX = -100
IS_NEXT, NOT_NEXT = 0, 1
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\sa-z])")
_WIKITEXT_TITLE = re.compile(r"^ = [^=].* = $")


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class MaskedLMCollator:
    """Masks a batch for masked-LM pretraining (Devlin et al. 2019): each token that is not
    [CLS], [SEP], [PAD] (or another special token) is selected with probability
    mlm_probability; a selected token becomes [MASK] with probability mask_fraction, a random
    non-special token with probability random_fraction, and stays itself otherwise.

    collator(input_ids) -> (masked input_ids, labels), both (N, T) int64; labels hold the
    original id where a token was selected and -100 elsewhere. seed: an int or a NumPy
    Generator; the same seed gives the same masks."""

    def __init__(
        self,
        tokenizer: WordPieceTokenizer,
        mlm_probability: float = 0.15,
        mask_fraction: float = 0.8,
        random_fraction: float = 0.1,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        for name, value in (
            ("mlm_probability", mlm_probability),
            ("mask_fraction", mask_fraction),
            ("random_fraction", random_fraction),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"MaskedLMCollator: {name} must be in [0, 1], got {value}")
        if mask_fraction + random_fraction > 1.0:
            raise ValueError(
                f"MaskedLMCollator: mask_fraction + random_fraction must be at most 1, got "
                f"{mask_fraction} + {random_fraction}"
            )
        self.mask_id, self.vocab_size = tokenizer.mask_id, len(tokenizer)
        self.special_ids = np.array(sorted(tokenizer.special_ids), dtype=np.int64)
        self.ordinary_ids = np.setdiff1d(np.arange(self.vocab_size), self.special_ids)
        self.mlm_probability, self.mask_fraction, self.random_fraction = mlm_probability, mask_fraction, random_fraction
        self.rng = _generator(seed)

    def __call__(self, input_ids: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray(input_ids)
        if ids.dtype.kind not in "iu" or (ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size)):
            raise ValueError(
                f"MaskedLMCollator: expected token ids in [0, {self.vocab_size}), got {ids.dtype} "
                f"ids" + (f" in [{ids.min()}, {ids.max()}]" if ids.size else "")
            )
        ids = ids.astype(np.int64)
        selected = (self.rng.random(ids.shape) < self.mlm_probability) & ~np.isin(ids, self.special_ids)
        labels = np.where(selected, ids, IGNORE_INDEX)
        choice = self.rng.random(ids.shape)  # [0, mask) -> [MASK], [mask, mask + random) -> random, rest kept
        masked = selected & (choice < self.mask_fraction)
        randomized = selected & ~masked & (choice < self.mask_fraction + self.random_fraction)
        out = np.where(masked, self.mask_id, ids)
        out[randomized] = self.rng.choice(self.ordinary_ids, size=int(randomized.sum()))
        return out, labels


def split_sentences(text: str) -> list[str]:
    """`text` cut after each . ! or ? that whitespace and then anything but a lower-case letter
    follow: "It ends . Then H. americanus" -> ["It ends .", "Then H. americanus"]."""
    return [sentence.strip() for sentence in _SENTENCE_END.split(text) if sentence.strip()]


def wikitext_documents(lines: Iterable[str]) -> list[list[str]]:
    """WikiText lines grouped into articles (a top-level " = Title = " line starts one), each a
    list of its sentences; headings are dropped."""
    documents: list[list[str]] = []
    for line in lines:
        if _WIKITEXT_TITLE.match(line.rstrip("\n")):
            documents.append([])
        elif line.strip() and not line.strip().startswith("=") and documents:
            documents[-1] += split_sentences(line)
    return [document for document in documents if document]


def next_sentence_pairs(
    documents: Sequence[Sequence[str]], seed: int | np.random.Generator | None = None
) -> list[tuple[str, str, int]]:
    """(A, B, label) for each pair of neighbouring sentences in each document: with probability
    1/2 B is A's next sentence (label 0), otherwise a random sentence of another document
    (label 1). documents: a list of lists of sentences, at least two documents."""
    if len(documents) < 2:
        raise ValueError(
            f"next_sentence_pairs: random sentences come from other documents, so at least 2 "
            f"documents are needed, got {len(documents)}"
        )
    if not all(documents):
        raise ValueError("next_sentence_pairs: every document needs at least one sentence, got an empty one")
    rng = _generator(seed)
    pairs = []
    for index, document in enumerate(documents):
        for a, following in zip(document, document[1:]):
            if rng.random() < 0.5:
                pairs.append((a, following, IS_NEXT))
                continue
            other = int(rng.integers(len(documents) - 1))
            other_document = documents[other + (other >= index)]  # any document but this one
            pairs.append((a, other_document[int(rng.integers(len(other_document)))], NOT_NEXT))
    return pairs


def pretraining_batch(
    tokenizer: WordPieceTokenizer,
    pairs: Sequence[tuple[str, str, int]],
    collator: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    max_length: int | None = 128,
) -> dict[str, np.ndarray]:
    """Sentence pairs (A, B, label) encoded as [CLS] A [SEP] B [SEP], padded and masked: a dict of
    (N, T) int64 arrays input_ids, token_type_ids, attention_mask, labels and the (N,)
    next_sentence_label."""
    batch = tokenizer.batch([a for a, _, _ in pairs], [b for _, b, _ in pairs], max_length)
    batch["input_ids"], batch["labels"] = collator(batch["input_ids"])
    batch["next_sentence_label"] = np.array([label for _, _, label in pairs], dtype=np.int64)
    return batch
