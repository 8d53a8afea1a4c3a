"""Text tools for sequence models: tokenising and normalising text, vocabularies, batches of
token ids, sampling and beam search, perplexity and BLEU. NumPy only; BLEU needs sacrebleu
(pip install "npgrad[text]"). BERT's WordPiece tokenizer and pretraining data (masked-LM,
next-sentence pairs); training a WordPiece vocabulary needs tokenizers (pip install
"npgrad[bert]"). The translation data sets are in npgrad.datasets."""

from .batching import BucketBatchSampler, batchify, bptt_batches, pad_batch, random_windows, windows_at
from .decoding import (
    Hypothesis,
    beam_search,
    generate,
    greedy_search,
    keep_top_k,
    keep_top_p,
    reorder_state,
    sample_logits,
    softmax,
)
from .metrics import bleu, perplexity, sentence_bleu
from .mlm import (
    IGNORE_INDEX,
    MaskedLMCollator,
    next_sentence_pairs,
    pretraining_batch,
    split_sentences,
    wikitext_documents,
)
from .tokenize import basic_english, normalize
from .vocab import BOS, EOS, PAD, SPECIALS, UNK, Vocab
from .wordpiece import SPECIAL_TOKENS, WordPieceTokenizer, basic_tokenize, truncate_longest_first
