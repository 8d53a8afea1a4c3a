"""tiny-shakespeare: 1,115,394 characters of Shakespeare's plays (karpathy/char-rnn; public
domain), for character-level language models."""

from __future__ import annotations

import os

import numpy as np

from . import storage
from ..data.dataset import Dataset
from ..text.batching import windows_at
from ..types import ArrayLike

URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
TRAIN_FRACTION = 0.9


class TinyShakespeare(Dataset):
    """The text as character ids, cut into windows for next-character prediction.

    Reads <root>/tinyshakespeare/input.txt (data root: `root`, else $NPGRAD_DATA, else
    ~/.cache/npgrad; downloaded when missing and `download` is true). The first 90% of the
    text is the training split, the rest the validation split (train=False).

    text: this split's text; classes: the vocabulary, every distinct character of the whole
    file in sorted order (65 of them), so character c has id classes.index(c);
    data: this split's text as int64 ids.
    dataset[i] is (x, y): x = data[i : i + block_size], y = data[i + 1 : i + block_size + 1],
    the same window moved one character on. encode() and decode() convert text and ids.
    """

    def __init__(
        self, root: str | os.PathLike | None = None, train: bool = True, download: bool = True, block_size: int = 128
    ) -> None:
        if not isinstance(block_size, int) or block_size <= 0:
            raise ValueError(f"TinyShakespeare: block_size must be a positive int, got {block_size!r}")
        file = storage.DataFile("tinyshakespeare", "input.txt", SHA256, URL)
        text = storage.load(storage.locate(file, root, download), SHA256, _codepoints)
        self._vocabulary = np.unique(text)  # sorted code points
        self.classes = [chr(c) for c in self._vocabulary]
        split = int(TRAIN_FRACTION * len(text))
        self.train = train
        self.block_size = block_size
        self.data = self._ids(text[:split] if train else text[split:])
        self.text = self.decode(self.data)

    @property
    def vocab_size(self) -> int:
        return len(self.classes)

    def encode(self, text: str) -> np.ndarray:
        """A string -> its int64 character ids."""
        return self._ids(_codepoints(text.encode("utf-8")))

    def decode(self, ids: ArrayLike) -> str:
        """Character ids (any integer array or list) -> the string."""
        codes = self._vocabulary[np.asarray(ids, dtype=np.int64)]
        return codes.astype(np.uint32).tobytes().decode("utf-32-le")

    def _ids(self, codepoints: np.ndarray) -> np.ndarray:
        ids = np.minimum(np.searchsorted(self._vocabulary, codepoints), len(self._vocabulary) - 1)
        unknown = codepoints[self._vocabulary[ids] != codepoints]
        if len(unknown):
            raise ValueError(f"TinyShakespeare: characters {sorted(set(map(chr, unknown)))} are not in the vocabulary")
        return ids.astype(np.int64)

    def __len__(self) -> int:
        return max(len(self.data) - self.block_size, 0)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"TinyShakespeare: index {index} out of range for {len(self)} windows")
        start = index % len(self)
        window = self.data[start : start + self.block_size + 1]
        return window[:-1], window[1:]

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return windows_at(self.data, indices, self.block_size)

    def __repr__(self) -> str:
        split = "train" if self.train else "validation"
        return (
            f"TinyShakespeare({split}: {len(self.data)} characters, vocabulary {self.vocab_size}, "
            f"block_size {self.block_size})"
        )


def shakespeare_splits(
    validation_characters: int | None = None, root: str | os.PathLike | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray, TinyShakespeare]:
    """(training ids, validation ids, the training TinyShakespeare that decodes both): the first
    90 % of the text and the rest, cut to its first `validation_characters` when given, as
    int64 character ids: what a character-level language model trains and validates on."""
    train = TinyShakespeare(root, train=True, download=download)
    validation = TinyShakespeare(root, train=False, download=download)
    return train.data, validation.data[:validation_characters], train


def _codepoints(contents: bytes) -> np.ndarray:
    """UTF-8 bytes -> one uint32 Unicode code point per character."""
    return np.frombuffer(contents.decode("utf-8").encode("utf-32-le"), dtype=np.uint32)
