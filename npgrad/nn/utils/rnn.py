"""Batches of variable-length sequences (torch.nn.utils.rnn).

npgrad has no PackedSequence: pad the batch with pad_sequence and pass the lengths to the
recurrent layer, `output, h_n = lstm(padded, lengths=lengths)`, which gives what PyTorch's
pack_padded_sequence(padded, lengths, enforce_sorted=False) -> lstm -> pad_packed_sequence does.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...functional.shape import pad, stack
from ...tensor import Tensor


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
