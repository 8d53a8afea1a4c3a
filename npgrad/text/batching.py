"""Batches of token ids: for language models, a long stream cut into (input, target) windows;
for sequence-to-sequence models, sentences padded to a common length, grouped by length.

Every array here is int64, batch first: (B, T), B sequences of T tokens.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ._checks import positive_int, token_stream
from ..data import _rng
from ..types import ArrayLike, _generator


def batchify(ids: ArrayLike, batch_size: int) -> np.ndarray:
    """The token stream `ids` as (batch_size, n): cut into batch_size equal pieces, one a row,
    the last len(ids) % batch_size tokens dropped. Row b continues from one batch to the next,
    so a recurrent model can carry its hidden state across batches (PyTorch's
    word_language_model example does the same with rows and columns swapped)."""
    ids = token_stream(ids, "batchify")
    batch_size = positive_int(batch_size, "batch_size", "batchify")
    n = len(ids) // batch_size
    if n < 2:
        raise ValueError(f"batchify: {len(ids)} tokens are too few for {batch_size} rows of at least 2")
    return ids[: n * batch_size].reshape(batch_size, n)


def bptt_batches(batched: np.ndarray, bptt: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(input, target) pairs of (B, bptt) windows that walk along a batchify()'d array for
    truncated backpropagation through time: input = batched[:, i : i + bptt] and target the
    same window one token later, for i = 0, bptt, 2 bptt, ... The last window is shorter when
    bptt does not divide n - 1. Together the inputs cover every token but the last of each row;
    the windows are views, not copies."""
    batched = np.asarray(batched)
    if batched.ndim != 2 or batched.dtype != np.int64:
        raise ValueError(f"bptt_batches: expected batchify()'s int64 (B, n) array, got {batched.dtype} {batched.shape}")
    bptt = positive_int(bptt, "bptt", "bptt_batches")
    n = batched.shape[1]
    for start in range(0, n - 1, bptt):
        stop = min(start + bptt, n - 1)
        yield batched[:, start:stop], batched[:, start + 1 : stop + 1]


def random_windows(
    ids: ArrayLike, batch_size: int, block_size: int, generator: _generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(input, target), each (batch_size, block_size): windows of the stream `ids` starting at
    random places, the target one token later (nanoGPT's get_batch). Draws from `generator`
    (a numpy Generator, or None for npgrad's global one, which npgrad.manual_seed resets);
    pass the same Generator on every call, so that each batch is new and the run repeats."""
    ids = token_stream(ids, "random_windows")
    batch_size = positive_int(batch_size, "batch_size", "random_windows")
    block_size = positive_int(block_size, "block_size", "random_windows")
    if len(ids) <= block_size:
        raise ValueError(f"random_windows: a stream of {len(ids)} tokens has no window of {block_size} + 1")
    rng = _rng.current(_rng.seeded(generator))
    return windows_at(ids, rng.integers(0, len(ids) - block_size, size=batch_size), block_size)


def windows_at(ids: np.ndarray, starts: ArrayLike, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(input, target), each (len(starts), block_size): the windows of `ids` that begin at
    `starts`, the target one token later."""
    windows = ids[np.asarray(starts)[:, None] + np.arange(block_size + 1)]  # one fancy index for the whole batch
    return windows[:, :-1], windows[:, 1:]


def pad_batch(sequences: Sequence[ArrayLike], pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of ids of different lengths as one (B, T) int64 array, T the longest length,
    each row filled up with `pad_id` after its tokens; and their lengths, int64 (B,)."""
    if len(sequences) == 0:
        raise ValueError("pad_batch: expected at least one sequence")
    streams = [token_stream(s, "pad_batch") for s in sequences]
    lengths = np.array([len(s) for s in streams], dtype=np.int64)
    padded = np.full((len(streams), lengths.max()), pad_id, dtype=np.int64)
    padded[np.arange(padded.shape[1]) < lengths[:, None]] = np.concatenate(streams)
    return padded, lengths


class BucketBatchSampler:
    """Batches of indices whose sequences have similar lengths, so that padding them wastes
    little: iterating yields one epoch of int64 index arrays, each of at most batch_size.

    lengths: the length of each item (for a translation pair, e.g. the longer side's).
    Every epoch shuffles the items, takes them pool_batches * batch_size at a time, sorts
    each pool by length, cuts it into batches and shuffles the order of all the batches; so
    batches are nearly uniform in length and still random. shuffle=False keeps the items in
    their order before sorting and the batches in theirs. Randomness comes from `generator`
    (an int seed, a numpy Generator, or None for npgrad's global one); a seeded sampler gives
    a different order each epoch and the same sequence of epochs on every run.

        for indices in BucketBatchSampler(lengths, 64, generator=0):
            source, source_lengths = pad_batch([sources[i] for i in indices], pad_id)
    """

    def __init__(
        self,
        lengths: ArrayLike,
        batch_size: int,
        shuffle: bool = True,
        pool_batches: int = 50,
        generator: _generator | None = None,
    ) -> None:
        self.lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
        self.batch_size = positive_int(batch_size, "batch_size", "BucketBatchSampler")
        self.pool_size = self.batch_size * positive_int(pool_batches, "pool_batches", "BucketBatchSampler")
        self.shuffle = shuffle
        self.generator = _rng.seeded(generator)

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)  # pools hold whole batches: only the last can be short

    def batches(self) -> list[np.ndarray]:
        """One epoch's batches, a list of int64 index arrays."""
        rng = _rng.current(self.generator)
        order = rng.permutation(len(self.lengths)) if self.shuffle else np.arange(len(self.lengths))
        batches = []
        for start in range(0, len(order), self.pool_size):
            pool = order[start : start + self.pool_size]
            pool = pool[np.argsort(self.lengths[pool], kind="stable")]
            batches += [pool[i : i + self.batch_size] for i in range(0, len(pool), self.batch_size)]
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.batches())
