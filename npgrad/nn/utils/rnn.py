"""Batches of variable-length sequences (torch.nn.utils.rnn).

Two ways to run a recurrent layer over sequences of different lengths. npgrad's own: pad the
batch (pad_sequence) and pass the lengths, `output, h_n = lstm(padded, lengths=lengths)`.
PyTorch's: pack the padded batch, `lstm(pack_padded_sequence(padded, lengths, ...))`, which
works here too and gives the same numbers. A PackedSequence holds the steps of all sequences
without the padding, time step by time step: its `data` has the first step of every sequence,
then the second step of those at least 2 long, and so on, the sequences in order of
decreasing length; `batch_sizes[t]` is how many sequences are longer than t.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ...creation import full
from ...functional.shape import cat, index_select, pad, stack
from ...tensor import Tensor
from ...types import ArrayLike


def pad_sequence(
    sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Stack sequences of shapes (L_i, *) into one (max L_i, B, *) tensor ((B, max L_i, *) with
    batch_first), filling the missing steps with padding_value after (or, with
    padding_side='left', before) each sequence. Gradients flow back to every sequence."""
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: expected a non-empty list of tensors")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}")
    trailing = {tuple(s.shape[1:]) for s in sequences}
    if len(trailing) > 1 or sequences[0].ndim == 0:
        raise ValueError(
            f"pad_sequence: every sequence must be (length, *) with the same trailing dims, got "
            f"shapes {[tuple(s.shape) for s in sequences]}"
        )
    longest = max(len(s) for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - len(s)
        before, after = (0, missing) if padding_side == "right" else (missing, 0)
        padded.append(pad(s, (0, 0) * (s.ndim - 1) + (before, after), value=padding_value))
    return stack(padded, dim=0 if batch_first else 1)


class PackedSequence(NamedTuple):
    """Sequences of different lengths without their padding (see the module docstring).
    data: (sum of lengths, *) steps; batch_sizes: (max length,) int64; sorted_indices: the batch
    order by decreasing length (None when the batch came sorted); unsorted_indices: its inverse."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def pack_padded_sequence(
    input: Tensor, lengths: Tensor | ArrayLike, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch (T, B, *) ((B, T, *) with batch_first) of sequences with these
    lengths. enforce_sorted: the lengths must be in decreasing order; otherwise the batch is
    sorted here and unsorted again by pad_packed_sequence (and by the recurrent layers)."""
    lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths, dtype=np.int64).reshape(-1)
    steps = input.transpose(0, 1) if batch_first else input  # time-major
    if len(lengths) != steps.shape[1] or (len(lengths) and lengths.min() <= 0) or lengths.max(initial=0) > len(steps):
        raise ValueError(
            f"pack_padded_sequence: expected {steps.shape[1]} lengths in [1, {len(steps)}], got {lengths.tolist()}"
        )
    order = np.argsort(-lengths, kind="stable")
    if enforce_sorted and not np.array_equal(order, np.arange(len(lengths))):
        raise RuntimeError(
            "pack_padded_sequence: the lengths must be sorted in decreasing order when enforce_sorted=True; "
            "pass enforce_sorted=False to pack them in any order"
        )
    sorted_lengths = lengths[order]
    batch_sizes = (np.arange(sorted_lengths.max(initial=0))[:, None] < sorted_lengths[None, :]).sum(axis=1)
    if not enforce_sorted:
        steps = index_select(steps, 1, order)
    flat = steps[: len(batch_sizes)].reshape(-1, *steps.shape[2:])  # (T * B, *), step by step
    data = index_select(flat, 0, _packed_positions(batch_sizes))
    indices = (None, None) if enforce_sorted else (Tensor(order), Tensor(np.argsort(order)))
    return PackedSequence(data, Tensor(batch_sizes.astype(np.int64)), *indices)


def _packed_positions(batch_sizes):
    """Where each packed step sits in the (T * B) rows of the padded, sorted batch."""
    batch = int(batch_sizes[0]) if len(batch_sizes) else 0
    return np.flatnonzero(np.arange(batch)[None, :] < batch_sizes[:, None])


def pad_packed_sequence(
    sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0, total_length: int | None = None
) -> tuple[Tensor, Tensor]:
    """The inverse of pack_padded_sequence: (padded batch (T, B, *) ((B, T, *) with
    batch_first), lengths), in the batch's original order; T = total_length if given."""
    batch_sizes = sequence.batch_sizes._data
    steps = len(batch_sizes) if total_length is None else total_length
    if steps < len(batch_sizes):
        raise ValueError(
            f"pad_packed_sequence: total_length={total_length} is less than the longest sequence ({len(batch_sizes)})"
        )
    batch, data = int(batch_sizes[0]), sequence.data
    # every padded position reads its packed step, or the padding row appended after the data
    source = np.full(steps * batch, len(data), np.int64)
    source[_packed_positions(batch_sizes)] = np.arange(len(data))
    padding = full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded = index_select(cat([data, padding]), 0, source).reshape(steps, batch, *data.shape[1:])
    lengths = (np.arange(batch)[:, None] < batch_sizes[None, :]).sum(axis=1)  # of the sorted batch
    if sequence.unsorted_indices is not None:
        padded = index_select(padded, 1, sequence.unsorted_indices._data)
        lengths = lengths[sequence.unsorted_indices._data]
    return (padded.transpose(0, 1) if batch_first else padded), Tensor(lengths.astype(np.int64))


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) sequences: pad_sequence, then pack_padded_sequence."""
    lengths = [len(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
