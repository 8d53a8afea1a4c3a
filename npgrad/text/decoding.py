"""Turning a model's next-token scores into text: sampling (greedy, temperature, top-k, top-p),
autoregressive generation, greedy search and beam search for sequence-to-sequence decoders.

The model is seen only through a step function, so any network fits: a GPT, an RNN language
model, an encoder-decoder. Every function runs it under npgrad.no_grad(). Randomness comes
from `generator`: a numpy Generator, an int seed, or None for npgrad's global generator
(which npgrad.manual_seed resets), so the same inputs and seed give the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Union

import numpy as np

from ._checks import positive_int
from ..autograd import no_grad
from ..data import _rng
from ..functional.activation import _softmax_parts
from ..tensor import Tensor
from ..types import ArrayLike, _generator

# A decoder seen by greedy_search and beam_search: (previous token ids, state) -> (log-probabilities, new state)
DecoderStep = Callable[[np.ndarray, Any], tuple[Union[np.ndarray, Tensor], Any]]


def _scores(values: np.ndarray | Tensor, caller: str) -> np.ndarray:
    """Logits or log-probabilities (B, V) as float32, from an array or a Tensor."""
    values = np.asarray(values._data if isinstance(values, Tensor) else values)
    if values.ndim != 2 or values.dtype.kind != "f":
        raise ValueError(f"{caller}: expected float scores (batch, vocabulary), got {values.dtype} {values.shape}")
    return values.astype(np.float32, copy=False)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities along the last axis, float32; the row maximum is subtracted first so that
    exp cannot overflow (the same parts as npgrad's softmax op)."""
    _, exp, total = _softmax_parts(logits, -1)
    return exp / total


def keep_top_k(logits: np.ndarray, k: int) -> np.ndarray:
    """`logits` with every entry below its row's k-th largest set to -inf (ties at the k-th
    value are all kept)."""
    if not 1 <= k <= logits.shape[-1]:
        raise ValueError(f"top_k must be between 1 and the vocabulary size {logits.shape[-1]}, got {k}")
    kth_largest = np.partition(logits, -k, axis=-1)[:, -k, None]
    return np.where(logits >= kth_largest, logits, -np.inf).astype(np.float32)


def keep_top_p(logits: np.ndarray, p: float) -> np.ndarray:
    """`logits` restricted to each row's nucleus: the fewest most probable tokens whose
    probabilities add up to at least p (the most probable token always stays)."""
    if not 0 < p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {p}")
    ranked = -np.sort(-logits, axis=-1)
    probabilities = softmax(ranked)
    mass_before = np.cumsum(probabilities, axis=-1) - probabilities
    smallest_kept = np.where(mass_before < p, ranked, np.inf).min(axis=-1, keepdims=True)
    return np.where(logits >= smallest_kept, logits, -np.inf).astype(np.float32)


def sample_logits(
    logits: np.ndarray | Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: _generator | None = None,
) -> np.ndarray:
    """One token id per row of `logits` (B, V), int64 (B,), drawn from
    softmax(logits / temperature) restricted to the top_k most likely tokens and then to the
    top_p nucleus (either may be None). temperature=0 is greedy: the argmax of each row.

    The draw uses the Gumbel-max trick: argmax(logits + g), g independent standard Gumbel
    noise, is distributed as softmax(logits); a token at -inf is never chosen.
    """
    logits = _scores(logits, "sample_logits")
    if temperature < 0:
        raise ValueError(f"sample_logits: temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(axis=-1)
    logits = logits / np.float32(temperature)
    if top_k is not None:
        logits = keep_top_k(logits, top_k)
    if top_p is not None:
        logits = keep_top_p(logits, top_p)
    gumbel = _rng.current(_rng.seeded(generator)).gumbel(size=logits.shape).astype(np.float32)
    return (logits + gumbel).argmax(axis=-1)


def generate(
    step_fn: Callable[[np.ndarray], np.ndarray | Tensor],
    start_ids: ArrayLike,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: _generator | None = None,
) -> np.ndarray:
    """Continue the sequences `start_ids` (B, T0), int, by max_new_tokens sampled tokens each:
    returns (B, T0 + max_new_tokens) int64 (1-D in, 1-D out).

    step_fn(ids) receives the sequences so far, int64 (B, t), and returns the logits of the
    next token, (B, V) (an array or a Tensor). It is where a model with a fixed context crops
    its input, e.g. lambda ids: gpt(ids[:, -block_size:])[:, -1]. Sampling as in sample_logits.
    """
    ids = np.asarray(start_ids, dtype=np.int64)
    if ids.ndim not in (1, 2) or ids.shape[-1] == 0:
        raise ValueError(f"generate: start_ids must be a non-empty (T,) or (B, T) array of ids, got shape {ids.shape}")
    generator = _rng.seeded(generator)  # an int seed becomes one Generator for all the steps
    sequences = ids[None] if ids.ndim == 1 else ids
    with no_grad():
        for _ in range(max_new_tokens):
            next_ids = sample_logits(step_fn(sequences), temperature, top_k, top_p, generator)
            sequences = np.concatenate([sequences, next_ids[:, None]], axis=1)
    return sequences[0] if ids.ndim == 1 else sequences


def reorder_state(state: Any, indices: np.ndarray | Sequence[int], axis: int = 0) -> Any:
    """`state` with every array and Tensor in it indexed by `indices` along `axis` (the beam
    axis): the state for the beams that continue, in their new order. `state` may be an array,
    a Tensor, None, or tuples, lists and dicts of those, nested to any depth."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return Tensor(np.take(state._data, indices, axis=axis))
    if isinstance(state, np.ndarray):
        return np.take(state, indices, axis=axis)
    if isinstance(state, Mapping):
        return {key: reorder_state(value, indices, axis) for key, value in state.items()}
    if isinstance(state, (tuple, list)):
        return type(state)(reorder_state(value, indices, axis) for value in state)
    raise TypeError(
        f"reorder_state: cannot index a {type(state).__name__}; a decoder state holds "
        "arrays, Tensors or None, in tuples, lists or dicts"
    )


def _ending_at_eos(row, eos_id):
    """`row` up to and including its first eos_id (all of it when there is none)."""
    ends = np.flatnonzero(row == eos_id)
    return row[: ends[0] + 1] if len(ends) else row


def greedy_search(
    step_fn: DecoderStep, init_state: Any, bos_id: int, eos_id: int, max_len: int, batch_size: int = 1
) -> list[np.ndarray]:
    """The most likely next token at every step, for batch_size sequences at once: a list of
    int64 arrays, each ending with its first eos_id (or max_len tokens long if none came).
    step_fn and the state are as in beam_search, with the batch in place of the beams."""
    max_len = positive_int(max_len, "max_len", "greedy_search")
    batch_size = positive_int(batch_size, "batch_size", "greedy_search")
    previous = np.full(batch_size, bos_id, dtype=np.int64)
    state, steps = init_state, []
    ended = np.zeros(batch_size, dtype=bool)
    with no_grad():
        for _ in range(max_len):
            log_probs, state = step_fn(previous, state)
            previous = _scores(log_probs, "greedy_search").argmax(axis=-1)
            steps.append(previous)
            ended |= previous == eos_id
            if ended.all():
                break
    return [_ending_at_eos(row, eos_id) for row in np.stack(steps, axis=1)]


class Hypothesis(NamedTuple):
    """A decoded sequence: tokens (int64, without <bos>, ending in <eos> if it was reached),
    log_prob its total log-probability, score what beams are ranked by at the end:
    log_prob / len(tokens) ** length_penalty."""

    tokens: np.ndarray
    score: float
    log_prob: float


def beam_search(
    step_fn: DecoderStep,
    init_state: Any,
    bos_id: int,
    eos_id: int,
    beam_size: int = 5,
    max_len: int = 50,
    length_penalty: float = 1.0,
    beam_axis: int = 0,
) -> list[Hypothesis]:
    """The best sequences for one input: a list of at most beam_size Hypothesis, best first.

    The contract with the decoder:
        log_probs, new_state = step_fn(prev_token_ids, state)
    prev_token_ids: int64 (k,), the last token of each of the k live beams (k = 1 at the start,
        where it is bos_id); log_probs: (k, V), log-probabilities of the next token, an array
        or Tensor (use log_softmax, not raw logits); state: anything reorder_state accepts,
        whose arrays and Tensors have the k beams along `beam_axis` (1 for an RNN's hidden
        state (layers, k, hidden)). init_state is the decoder's state for one beam, e.g. the
        encoder's final hidden state. What is the same for every beam (the encoder's outputs,
        for attention) belongs in step_fn's closure, repeated to k rows there; a decoder that
        needs the whole prefix (a Transformer without a cache) keeps it in the state.

    Each step extends every live beam by every token and keeps the best of all those
    candidates by total log-probability; a candidate ending in eos_id is finished and its
    place is not refilled, so the search ends when beam_size sequences have finished (or
    after max_len steps, when the live ones are returned unfinished). The finished ones are
    then ranked by score = log_prob / length ** length_penalty: 0 favours short sequences
    (every token lowers log_prob), 1 compares the mean log-probability per token.
    beam_size=1 is greedy decoding.
    """
    beam_size = positive_int(beam_size, "beam_size", "beam_search")
    max_len = positive_int(max_len, "max_len", "beam_search")
    prefixes = np.full((1, 1), bos_id, dtype=np.int64)  # the live beams, each starting with bos
    totals = np.zeros(1, dtype=np.float32)  # their log-probabilities
    state = init_state
    finished: list[tuple[np.ndarray, np.float32]] = []  # (tokens, total log-probability)
    with no_grad():
        for _ in range(max_len):
            log_probs, state = step_fn(prefixes[:, -1], state)
            log_probs = _scores(log_probs, "beam_search")
            candidates = (totals[:, None] + log_probs).ravel()
            best = np.argsort(-candidates, kind="stable")[: beam_size - len(finished)]
            beams, tokens = np.divmod(best, log_probs.shape[1])
            prefixes = np.concatenate([prefixes[beams], tokens[:, None]], axis=1)
            totals = candidates[best]
            ended = tokens == eos_id
            finished += [(prefixes[i, 1:], totals[i]) for i in np.flatnonzero(ended)]
            prefixes, totals = prefixes[~ended], totals[~ended]
            if len(prefixes) == 0:
                break
            state = reorder_state(state, beams[~ended], beam_axis)
    finished += [(prefix[1:], total) for prefix, total in zip(prefixes, totals)]
    hypotheses = [
        Hypothesis(tokens, float(total) / len(tokens) ** length_penalty, float(total)) for tokens, total in finished
    ]
    return sorted(hypotheses, key=lambda h: -h.score)
