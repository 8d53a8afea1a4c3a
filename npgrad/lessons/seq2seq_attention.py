"""GRU seq2seq fr->en and ko->en, without vs with attention: BLEU by length, heat maps.

Sequence-to-sequence translation, and what attention adds to it.

French -> English on the sentence pairs of PyTorch's seq2seq tutorial: Tatoeba pairs whose
English side begins "i am", "he is", "you are" ..., both sides under 10 words after
normalising (10,924 pairs, split 80/10/10 with a fixed seed). Two GRU encoder-decoders
(npgrad.models.Seq2Seq), the same in every size, optimiser, epoch and seed, differ only in
how the decoder sees the source:
  no attention   the decoder starts from the encoder's final state, one vector, and must find
                 everything about the source sentence in it (the bottleneck)
  attention      before every step the decoder also reads a weighted mean of all the encoder
                 outputs (Bahdanau's additive attention), weighting the words it needs now
Both learn with teacher forcing and translate greedily. Test BLEU (sacrebleu's corpus BLEU),
overall and by source length in tokens (words and the final . ! ?), shows where the bottleneck
costs; beam search (beam 5) is shown beside greedy decoding for the attention model, and
heat maps show which French words each English word was written from.

Then Korean -> English, a much smaller set: of Tatoeba's 3,798 English-Korean pairs the
tutorial's English-prefix filter keeps only 198, too few to learn from, so only its length
filter is used (both sides under 10 words: 3,269 pairs). Words are split at spaces, so a
Korean "word" is a whole eojeol (a stem and its particles), and many test words were never
seen in training.
"""

import logging
import os
import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from npgrad import manual_seed, optim
from npgrad.analysis.plots import draw_attention_map, pyplot_or_none, save_figure
from npgrad.datasets import TatoebaPairs
from npgrad.datasets.translation import TUTORIAL_MAX_LENGTH, TUTORIAL_PREFIXES
from npgrad.models import Seq2Seq
from npgrad.nn import functional as F
from npgrad.text import BucketBatchSampler, Vocab, bleu, pad_batch
from npgrad.train import ProgressBar, Trainer
from npgrad.utils.progress import progress
from npgrad.lessons import main

MODELS = {"no attention": None, "attention": "bahdanau"}


@dataclass(frozen=True)
class Task:
    """A translation direction: the Tatoeba language (translated into English), its filter and
    the source-length buckets, (shortest, longest) tokens, None for no upper end."""

    name: str
    language: str
    filters: dict
    buckets: tuple


FRENCH = Task(
    "fr-en",
    "fr",
    {"max_length": TUTORIAL_MAX_LENGTH, "english_prefixes": TUTORIAL_PREFIXES},
    ((1, 4), (5, 6), (7, 8), (9, None)),
)
KOREAN = Task("ko-en", "ko", {"max_length": TUTORIAL_MAX_LENGTH}, ((1, 3), (4, 5), (6, None)))


@dataclass(frozen=True)
class Settings:
    embedding_dim: int = 256
    hidden_size: int = 256
    dropout: float = 0.1
    batch_size: int = 64
    lr: float = 1e-3
    grad_clip_norm: float = 1.0
    epochs: int = 15
    beam_size: int = 5
    train_limit: int | None = None  # use only the first pairs of a split (the quick version)
    test_limit: int | None = None
    seed: int = 0


FULL = ((FRENCH, Settings()), (KOREAN, Settings(epochs=30)))
QUICK = tuple(
    (task, replace(settings, embedding_dim=32, hidden_size=64, epochs=3, train_limit=300, test_limit=40))
    for task, settings in FULL
)


# ------------------------------------------------------------------ data
def load_split(task, split, limit=None):
    """The (source tokens, English tokens) pairs of one split, normalised as in the tutorial."""
    pairs = TatoebaPairs(task.language, split=split, reverse=True, normalize=True, **task.filters)
    return [(source.split(), target.split()) for source, target in pairs.pairs[:limit]]


def encode(pairs, source_vocab, target_vocab):
    """Token pairs as id pairs: the source as is, the target between <bos> and <eos>."""
    return [
        (source_vocab.encode(source), target_vocab.encode(target, add_bos=True, add_eos=True))
        for source, target in pairs
    ]


class PairBatches:
    """The batches (src, src_lengths, tgt_in, tgt_out) of encoded pairs, as the Trainer takes
    them (the inputs, then the targets): pairs of similar source length together
    (BucketBatchSampler), padded with <pad>; tgt_in = <bos> y_1 .. y_n, tgt_out = y_1 .. y_n <eos>,
    the same sentence one step later. Shuffled with `seed` unless shuffle=False."""

    def __init__(self, pairs, batch_size, pad_id, shuffle=True, seed=0):
        self.pairs, self.pad_id = pairs, pad_id
        self.sampler = BucketBatchSampler(
            [len(source) for source, _ in pairs], batch_size, shuffle=shuffle, generator=seed
        )

    def __len__(self):
        return len(self.sampler)

    def __iter__(self):
        for indices in self.sampler:
            src, src_lengths = pad_batch([self.pairs[i][0] for i in indices], self.pad_id)
            tgt, _ = pad_batch([self.pairs[i][1] for i in indices], self.pad_id)
            yield src, src_lengths, tgt[:, :-1], tgt[:, 1:]


def token_loss(pad_id):
    """Mean cross-entropy per target token, padding left out."""

    def loss(logits, tgt_out):
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), ignore_index=pad_id)

    return loss


# ------------------------------------------------------------------ training and testing
def train(attention, vocabs, train_pairs, val_pairs, settings):
    """A Seq2Seq (attention None or "bahdanau") trained on train_pairs; returns it, the
    per-epoch history and the training time in seconds."""
    source_vocab, target_vocab = vocabs
    manual_seed(settings.seed)
    model = Seq2Seq(
        len(source_vocab),
        len(target_vocab),
        settings.embedding_dim,
        settings.hidden_size,
        attention=attention,
        dropout=settings.dropout,
        pad_id=target_vocab.pad_id,
        bos_id=target_vocab.bos_id,
        eos_id=target_vocab.eos_id,
    )
    return (model, *fit_translator(model, settings.lr, target_vocab.pad_id, train_pairs, val_pairs, settings))


def fit_translator(model, lr, pad_id, train_pairs, val_pairs, settings):
    """Adam at lr with teacher forcing on the token loss, gradients clipped, settings.epochs
    epochs; returns the per-epoch history and the training time in seconds."""
    trainer = Trainer(
        model,
        optim.Adam(model.parameters(), lr=lr),
        token_loss(pad_id),
        metrics=None,
        callbacks=[ProgressBar()],
        grad_clip_norm=settings.grad_clip_norm,
    )
    started = time.perf_counter()
    trainer.fit(
        PairBatches(train_pairs, settings.batch_size, pad_id, seed=settings.seed),
        PairBatches(val_pairs, 256, pad_id, shuffle=False),
        settings.epochs,
    )
    return trainer.history.history, time.perf_counter() - started


def translate_all(model, sources, beam_size=None, batch_size=256):
    """model.translate for every source (a list of id arrays), batch_size at a time."""
    translations = []
    bar = progress(
        total=len(sources),
        desc=f"translating, beam {beam_size}" if beam_size else "translating, greedy",
        unit="sentence",
    )
    for start in range(0, len(sources), batch_size):
        src, src_lengths = pad_batch(sources[start : start + batch_size], model.pad_id)
        translations += model.translate(src, src_lengths, max_len=2 * TUTORIAL_MAX_LENGTH, beam_size=beam_size)
        bar.update(len(src))
    bar.close()
    return translations


def bucket_label(low, high):
    return f"{low}+" if high is None else f"{low}-{high}"


def bleu_by_length(hypotheses, references, source_lengths, buckets):
    """Corpus BLEU of all the sentences ("all") and of those in each source-length bucket."""
    scores = {"all": bleu(hypotheses, references)}
    for bucket in buckets:
        inside = [i for i, n in enumerate(source_lengths) if in_bucket(n, bucket)]
        scores[bucket_label(*bucket)] = bleu([hypotheses[i] for i in inside], [references[i] for i in inside])
    return scores


def test_bleu(model, test_pairs, encoded, target_vocab, buckets, beam_size=None):
    """(BLEU by length, the hypotheses as text, the Translations) on the test pairs."""
    translations = translate_all(model, [source for source, _ in encoded], beam_size)
    hypotheses = [target_vocab.decode(t.tokens) for t in translations]
    references = [" ".join(target) for _, target in test_pairs]
    lengths = [len(source) for source, _ in test_pairs]
    return bleu_by_length(hypotheses, references, lengths, buckets), hypotheses, translations


def in_bucket(length, bucket):
    low, high = bucket
    return low <= length and (high is None or length <= high)


def prepare(task, settings):
    """The train, val and test token pairs, the (source, English) vocabularies of the training
    words (other words become <unk>), and the three splits encoded as ids."""
    splits = [
        load_split(task, split, limit)
        for split, limit in (
            ("train", settings.train_limit),
            ("val", settings.test_limit),
            ("test", settings.test_limit),
        )
    ]
    vocabs = tuple(Vocab.build(side) for side in zip(*splits[0]))
    return splits, vocabs, [encode(pairs, *vocabs) for pairs in splits]


def run_task(task, settings):
    """Both models on one task: the summary of their training and test BLEU, and the attention
    model's heat maps for a few long test sentences: (source tokens, output tokens, weights)."""
    (train_pairs, val_pairs, test_pairs), vocabs, encoded = prepare(task, settings)
    print(
        f"\n{task.name}: {len(train_pairs):,} / {len(val_pairs):,} / {len(test_pairs):,} train / val / test "
        f"pairs; vocabularies of {len(vocabs[0]):,} source and {len(vocabs[1]):,} English words"
    )
    results, hypotheses = {}, {}
    for name, attention in MODELS.items():
        print(f"training {name} ...", flush=True)
        model, history, seconds = train(attention, vocabs, encoded[0], encoded[1], settings)
        scores, hypotheses[name], translations = test_bleu(model, test_pairs, encoded[2], vocabs[1], task.buckets)
        results[name] = {
            "parameters": sum(p.numel() for p in model.parameters()),
            "history": history,
            "train_seconds": seconds,
            "bleu": scores,
        }
        if attention is not None:
            started = time.perf_counter()
            results[name]["beam_bleu"] = test_bleu(
                model, test_pairs, encoded[2], vocabs[1], task.buckets, settings.beam_size
            )[0]
            results[name]["beam_seconds"] = time.perf_counter() - started
            maps = [
                (
                    source,
                    vocabs[1].decode_tokens(translations[i].tokens, strip_special=False),
                    translations[i].attention,
                )
                for i, (source, _) in enumerate(test_pairs)
                if len(source) >= 7
            ][:6]
    counts = {
        bucket_label(*bucket): sum(in_bucket(len(source), bucket) for source, _ in test_pairs)
        for bucket in task.buckets
    }
    print_tables(task, results, counts, settings)
    examples = [
        {"source": " ".join(source), "reference": " ".join(target), **{name: hypotheses[name][i] for name in MODELS}}
        for i, (source, target) in enumerate(test_pairs[:5])
    ]
    print_examples(examples)
    return {
        "pairs": [len(train_pairs), len(val_pairs), len(test_pairs)],
        "vocab_sizes": [len(v) for v in vocabs],
        "test_sentences_per_bucket": counts,
        "models": results,
        "examples": examples,
    }, maps


# ------------------------------------------------------------------ tables
def print_tables(task, results, counts, settings):
    columns = ["all", *counts]
    print(
        f"\n{task.name} test BLEU by source length in tokens ({settings.epochs} epochs, batch "
        f"{settings.batch_size}, Adam {settings.lr:g})"
    )
    print(f"{'model':<26}" + "".join(f"{c:>8}" for c in columns))
    print(f"{'(test sentences)':<26}" + "".join(f"{n:>8}" for n in [sum(counts.values()), *counts.values()]))
    rows = [(f"{name}, greedy", r["bleu"]) for name, r in results.items()]
    rows += [(f"{name}, beam {settings.beam_size}", r["beam_bleu"]) for name, r in results.items() if "beam_bleu" in r]
    for label, scores in rows:
        print(f"{label:<26}" + "".join(f"{scores[c]:>8.1f}" for c in columns))
    for name, r in results.items():
        loss, val_loss = r["history"]["loss"], r["history"]["val_loss"]
        print(
            f"{name}: {r['parameters']:,} parameters; train loss {loss[0]:.3f} -> {loss[-1]:.3f}, val loss "
            f"{val_loss[-1]:.3f}; {r['train_seconds'] / settings.epochs:.1f} s per epoch"
        )


def print_examples(examples):
    for example in examples:
        print(f"  {'source:':<14} {example['source']}\n  {'reference:':<14} {example['reference']}")
        for name in MODELS:
            print(f"  {name + ':':<14} {example[name]}")


# ------------------------------------------------------------------ figures
def plot_bleu_by_length(plt, summaries, path):
    """One panel per task: greedy BLEU of both models in each source-length bucket."""
    fig, axes = plt.subplots(1, len(summaries), figsize=(4.5 * len(summaries), 3.4), squeeze=False)
    for ax, (task_name, summary) in zip(axes[0], summaries.items()):
        counts = summary["test_sentences_per_bucket"]
        positions = np.arange(len(counts))
        for offset, (name, result) in zip((-0.2, 0.2), summary["models"].items()):
            ax.bar(positions + offset, [result["bleu"][bucket] for bucket in counts], width=0.4, label=name)
        ax.set_xticks(positions, [f"{bucket}\n({n})" for bucket, n in counts.items()])
        ax.set_xlabel("source length in tokens (test sentences)", fontsize=8)
        ax.set_ylabel("test BLEU, greedy")
        ax.set_title(task_name)
        ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=100)


def plot_attention_maps(plt, maps, path, columns=3):
    """One heat map per (source tokens, output tokens, weights (outputs, sources))."""
    rows = -(-len(maps) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 3.3 * rows), squeeze=False)
    for ax in axes.ravel()[len(maps) :]:
        ax.axis("off")
    for ax, attention_map in zip(axes.ravel(), maps):
        draw_attention_map(ax, *attention_map)
    fig.suptitle("attention weights: a row per English word written, a column per French word read", fontsize=9)
    return save_figure(fig, path, dpi=100)


def run(out_dir, quick=False):
    settings = QUICK if quick else FULL
    # sacrebleu warns when most sentences end in " .": here both sides are tokenised on purpose, alike
    logging.getLogger("sacrebleu").setLevel(logging.ERROR)
    summaries, maps = {}, {}
    for task, task_settings in settings:
        summaries[task.name], maps[task.name] = run_task(task, task_settings)
    figures = []
    plt = pyplot_or_none()
    if plt is not None:
        figures = [
            plot_bleu_by_length(plt, summaries, os.path.join(out_dir, "bleu_by_length.png")),
            plot_attention_maps(plt, maps[FRENCH.name], os.path.join(out_dir, "attention_maps.png")),
        ]
    return {"settings": {task.name: asdict(s) for task, s in settings}, "tasks": summaries, "figures": figures}


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/recurrent.py GRUStepFunction,
  npgrad/textbook/attention.py AttentionFunction
fast ops: npgrad/functional/recurrent.py recurrent_layer (GRUStep), npgrad/nn/rnn.py GRU
the model: npgrad/models/seq2seq.py Seq2Seq (and its translate), BahdanauAttention
decoding and scoring: npgrad/text/decoding.py greedy_search and beam_search, npgrad/text/metrics.py bleu
the data: npgrad/datasets/translation.py TatoebaPairs, npgrad/text/vocab.py Vocab
the page: docs/lessons/seq2seq-attention.md
"""

if __name__ == "__main__":
    main(run)
