"""How good a language or translation model is: perplexity, and BLEU (through sacrebleu)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor


def perplexity(nll: float | np.ndarray | Tensor | list[tuple[float, int]]) -> float:
    """exp of the mean negative log-likelihood per token, in nats: how many equally likely
    choices the model is as unsure as (a uniform guess over V tokens has perplexity V).

    nll: the mean per-token NLL (a number, 0-d array or Tensor, e.g. a cross-entropy loss), or
    a list of (sum_nll, n_tokens) pairs, one per batch, whose mean is then
    sum(sum_nll) / sum(n_tokens), so batches of different sizes count for what they hold.
    """
    if isinstance(nll, (list, tuple)):
        pairs = np.asarray(nll, dtype=np.float64)
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise ValueError(f"perplexity: expected a mean NLL or (sum_nll, n_tokens) pairs, got shape {pairs.shape}")
        sums, counts = pairs.T
        if counts.sum() <= 0:
            raise ValueError("perplexity: the (sum_nll, n_tokens) pairs hold no tokens")
        nll = float(sums.sum() / counts.sum())
    return math.exp(float(nll.item() if isinstance(nll, Tensor) else nll))


def _sacrebleu():
    try:
        import sacrebleu
    except ImportError:
        raise ImportError(
            'BLEU is computed by the sacrebleu package: pip install "npgrad[text]" (or pip install sacrebleu)'
        ) from None
    return sacrebleu


def _sentences(texts, what, caller):
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise TypeError(f"{caller}: {what} must be a list of strings (join a token list with ' ')")
    return list(texts)


def bleu(
    hypotheses: Sequence[str], references: Sequence[str | Sequence[str]], tokenize: str = "13a", lowercase: bool = False
) -> float:
    """Corpus BLEU, 0 to 100, of the translations `hypotheses` (a list of strings) against
    `references`: one reference string per hypothesis, or a list of reference lists, one
    per hypothesis, all of the same number. Computed by sacrebleu with its standard
    tokenisation ("13a"), so scores compare with published ones."""
    hypotheses = _sentences(hypotheses, "hypotheses", "bleu")
    if len(references) != len(hypotheses):
        raise ValueError(f"bleu: {len(hypotheses)} hypotheses but {len(references)} references")
    per_hypothesis = [[r] if isinstance(r, str) else _sentences(r, "references", "bleu") for r in references]
    if len({len(refs) for refs in per_hypothesis}) > 1:
        raise ValueError("bleu: every hypothesis needs the same number of references")
    streams = [list(stream) for stream in zip(*per_hypothesis)]  # sacrebleu wants one list per reference set
    return _sacrebleu().corpus_bleu(hypotheses, streams, tokenize=tokenize, lowercase=lowercase).score


def sentence_bleu(
    hypothesis: str, references: str | Sequence[str], tokenize: str = "13a", lowercase: bool = False
) -> float:
    """BLEU, 0 to 100, of one translation against its reference(s) (a string or a list),
    smoothed as sacrebleu does by default, so a sentence with no 4-gram match does not score 0
    outright; for comparing groups of sentences (e.g. BLEU by source length), not systems."""
    if not isinstance(hypothesis, str):
        raise TypeError(f"sentence_bleu: the hypothesis must be a string, got {type(hypothesis).__name__}")
    if isinstance(references, str):
        references = [references]
    references = _sentences(references, "references", "sentence_bleu")
    return _sacrebleu().sentence_bleu(hypothesis, references, tokenize=tokenize, lowercase=lowercase).score
