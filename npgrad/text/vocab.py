"""Vocab: the table between tokens (words or characters) and the integer ids a model embeds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._checks import token_stream
from .tokenize import basic_english
from ..types import ArrayLike

PAD, BOS, EOS, UNK = SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
_ORDERS = ("frequency", "sorted")


def _special_id(token: str) -> property:
    """A read-only attribute: the id of the special `token`, or None if the vocabulary has none."""

    def special_id(vocab: Vocab) -> int | None:
        return vocab.stoi.get(token)

    return property(special_id)


class Vocab:
    """Tokens and their ids: itos[i] is the token with id i, stoi[token] its id.

    The special tokens come first, with ids 0, 1, ... in the order given: by default <pad> 0,
    <bos> 1, <eos> 2, <unk> 3 (pad_id, bos_id, eos_id, unk_id give them, or None when a
    vocabulary has no such token). Then the ordinary tokens, in the order given.
    Any other token is encoded as <unk>; a vocabulary without <unk> raises a KeyError for it.
    `separator` joins decoded tokens: " " for words, "" for characters.

    Build one from data with Vocab.build (token lists) or Vocab.from_text (a string). To save
    it beside a model's weights: npgrad.save({"model": model.state_dict(), "vocab":
    vocab.state_dict()}, path), and later Vocab.from_state_dict(npgrad.load(path)["vocab"]).
    """

    pad_id = _special_id(PAD)
    bos_id = _special_id(BOS)
    eos_id = _special_id(EOS)
    unk_id = _special_id(UNK)

    def __init__(self, tokens: Iterable[str], specials: Sequence[str] = SPECIALS, separator: str = " ") -> None:
        self.itos = [*specials, *tokens]
        self.stoi = {token: index for index, token in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            repeated = sorted(token for token, n in Counter(self.itos).items() if n > 1)
            raise ValueError(f"Vocab: tokens must be distinct, {repeated} appear more than once")
        self.specials = tuple(specials)
        self.separator = separator

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Iterable[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = SPECIALS,
        order: str = "frequency",
        separator: str = " ",
    ) -> Vocab:
        """A vocabulary of the tokens in `token_lists` (an iterable of lists of tokens) seen
        at least `min_freq` times, keeping at most `max_size` entries in all (specials
        included) — the most frequent ones.

        order="frequency": most frequent first, tokens equally frequent in the order they
        first appear; order="sorted": in sorted (code point) order. Either way the ids depend
        only on the data, so the same corpus always gives the same vocabulary.
        """
        if order not in _ORDERS:
            raise ValueError(f"Vocab.build: order must be one of {_ORDERS}, got {order!r}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(f"Vocab.build: max_size {max_size} leaves no room for the {len(specials)} specials")
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        for special in specials:
            counts.pop(special, None)
        # most_common sorts stably: equally frequent tokens stay in the order first seen
        ranked = [token for token, n in counts.most_common() if n >= min_freq]
        if max_size is not None:
            ranked = ranked[: max_size - len(specials)]
        return cls(sorted(ranked) if order == "sorted" else ranked, specials, separator)

    @classmethod
    def from_text(
        cls,
        text: str,
        level: str = "char",
        specials: Sequence[str] = (),
        order: str | None = None,
        min_freq: int = 1,
        max_size: int | None = None,
    ) -> Vocab:
        """A vocabulary of the characters (level="char") or basic_english words (level="word")
        of one string. No special tokens unless asked. By default characters are in sorted
        order, as char-rnn, nanoGPT and datasets.TinyShakespeare number them (tiny-shakespeare
        gives 65), and words by frequency; `order` overrides that."""
        tokens: Iterable[str]  # the string itself for characters
        if level == "char":
            tokens, separator = text, ""
        elif level == "word":
            tokens, separator = basic_english(text), " "
        else:
            raise ValueError(f"Vocab.from_text: level must be 'char' or 'word', got {level!r}")
        order = order or ("sorted" if level == "char" else "frequency")
        return cls.build([tokens], min_freq, max_size, specials, order, separator)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        """The id of `token`; <unk>'s id for a token not in the vocabulary."""
        index = self.stoi.get(token, self.unk_id)
        if index is None:
            raise KeyError(f"Vocab: {token!r} is not in the vocabulary, and it has no {UNK} token")
        return index

    def lookup(self, index: int) -> str:
        """The token with id `index`."""
        if not 0 <= index < len(self.itos):
            raise IndexError(f"Vocab: id {index} is out of range for a vocabulary of {len(self)}")
        return self.itos[index]

    def encode(self, tokens: Iterable[str], add_bos: bool = False, add_eos: bool = False) -> np.ndarray:
        """The ids of `tokens` (a list of tokens, or a string for a character vocabulary) as an
        int64 array, with <bos> in front and <eos> at the end if asked."""
        ids = [self[token] for token in tokens]
        if add_bos:
            ids.insert(0, self[BOS])
        if add_eos:
            ids.append(self[EOS])
        return np.array(ids, dtype=np.int64)

    def decode_tokens(self, ids: ArrayLike, strip_special: bool = True) -> list[str]:
        """The tokens of a 1-D sequence of ids. strip_special=True stops at the first <eos>
        (what a decoder emits after it is not part of the sentence) and leaves out <pad> and
        <bos>; <unk> stays, since it stands for a word that was there."""
        tokens = [self.lookup(index) for index in token_stream(ids, "Vocab.decode").tolist()]
        if not strip_special:
            return tokens
        if EOS in tokens:
            tokens = tokens[: tokens.index(EOS)]
        return [token for token in tokens if token not in (PAD, BOS)]

    def decode(self, ids: ArrayLike, strip_special: bool = True) -> str:
        """The text of a 1-D sequence of ids: decode_tokens joined by the separator."""
        return self.separator.join(self.decode_tokens(ids, strip_special))

    def state_dict(self) -> dict[str, Any]:
        """Everything that defines the vocabulary, as lists and strings (JSON-friendly)."""
        return {"itos": list(self.itos), "specials": list(self.specials), "separator": self.separator}

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> Vocab:
        specials = list(state["specials"])
        itos = list(state["itos"])
        if itos[: len(specials)] != specials:
            raise ValueError(
                f"Vocab.from_state_dict: itos must start with the specials {specials}, got {itos[: len(specials)]}"
            )
        return cls(itos[len(specials) :], specials, state["separator"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.state_dict() == other.state_dict()

    def __repr__(self) -> str:
        shown = ", ".join(map(repr, self.itos[:8])) + (", ..." if len(self) > 8 else "")
        return f"Vocab({len(self)} tokens: {shown})"
