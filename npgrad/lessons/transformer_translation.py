"""Transformer vs GRU + attention, fr->en: BLEU greedy and beam, time, attention maps.

Translation with the Transformer, beside the GRU encoder-decoder with attention.

The same French -> English pairs and split as seq2seq-attention (the PyTorch tutorial's
Tatoeba pairs, 8,740 for training), the same vocabularies, batches, loss, gradient clipping
and epochs. Two models:
  GRU + attention  seq2seq-attention's best model: a GRU encoder and decoder (embedding and
                   hidden 256) with Bahdanau's additive attention, Adam 1e-3
  Transformer      npgrad.models.TransformerSeq2Seq: 3 encoder and 3 decoder layers of width
                   128 (4 heads, feed-forward 512, pre-norm, dropout 0.1), sinusoidal positions,
                   Adam 1e-3 as well (at 5e-4 it was still far from converged after the 15
                   epochs: test BLEU 41.2 greedy instead of 50.5). No recurrence: the encoder
                   reads every word at once, and each decoder layer attends to its own earlier
                   outputs and to all the source words
Test BLEU (sacrebleu's corpus BLEU), greedy and beam 5, overall and by source length; the
training time of each, measured in the same run; and the Transformer's attention maps: the
encoder's self-attention (which French words each French word reads) and the decoder's
cross-attention (which French words each English word is written from), from the last
layer of each, averaged over the heads.
"""

import logging
import os
import time
from dataclasses import asdict, replace

import numpy as np

from npgrad import manual_seed, no_grad
from npgrad.analysis.plots import draw_attention_map, pyplot_or_none, save_figure
from npgrad.models import Seq2Seq, TransformerSeq2Seq
from npgrad.nn.module import eval_mode
from npgrad.lessons.seq2seq_attention import (
    FRENCH,
    Settings,
    bucket_label,
    fit_translator,
    in_bucket,
    plot_bleu_by_length,
    prepare,
    test_bleu,
)
from npgrad.lessons import main

FULL = Settings(epochs=15)
QUICK = replace(FULL, embedding_dim=32, hidden_size=64, epochs=3, train_limit=300, test_limit=40)
TRANSFORMER = {"d_model": 128, "nhead": 4, "layers": 3, "dim_feedforward": 512, "lr": 1e-3}
TRANSFORMER_QUICK = {**TRANSFORMER, "d_model": 32, "layers": 1, "dim_feedforward": 64, "lr": 2e-3}


def gru_with_attention(vocabs, settings):
    source_vocab, target_vocab = vocabs
    return Seq2Seq(
        len(source_vocab),
        len(target_vocab),
        settings.embedding_dim,
        settings.hidden_size,
        attention="bahdanau",
        dropout=settings.dropout,
        **special_ids(target_vocab),
    )


def transformer(vocabs, settings, sizes):
    source_vocab, target_vocab = vocabs
    return TransformerSeq2Seq(
        len(source_vocab),
        len(target_vocab),
        d_model=sizes["d_model"],
        nhead=sizes["nhead"],
        num_encoder_layers=sizes["layers"],
        num_decoder_layers=sizes["layers"],
        dim_feedforward=sizes["dim_feedforward"],
        dropout=settings.dropout,
        norm_first=True,
        **special_ids(target_vocab),
    )


def special_ids(vocab):
    return {"pad_id": vocab.pad_id, "bos_id": vocab.bos_id, "eos_id": vocab.eos_id}


def encoder_self_attention(model, source_ids):
    """The last encoder layer's self-attention weights (S, S) for one sentence, averaged over
    the heads: which source words each source word reads."""
    layer = model.transformer.encoder.layers[-1]
    seen = []
    handle = layer.self_attn.register_forward_pre_hook(lambda module, args: seen.append(args))
    src, lengths = np.asarray(source_ids)[None], np.array([len(source_ids)])
    try:
        with eval_mode(model), no_grad():
            model.encode(src, lengths)
            return layer.self_attn(*seen[-1], need_weights=True)[1].numpy()[0]
    finally:
        handle.remove()


def run_models(settings, sizes):
    (train_pairs, val_pairs, test_pairs), vocabs, encoded = prepare(FRENCH, settings)
    print(
        f"{FRENCH.name}: {len(train_pairs):,} / {len(val_pairs):,} / {len(test_pairs):,} train / val / test pairs; "
        f"vocabularies of {len(vocabs[0]):,} French and {len(vocabs[1]):,} English words"
    )
    builders = {
        "GRU + attention": (lambda: gru_with_attention(vocabs, settings), settings.lr),
        "Transformer": (lambda: transformer(vocabs, settings, sizes), sizes["lr"]),
    }
    results, models = {}, {}
    for name, (build, lr) in builders.items():
        print(f"training {name} ...", flush=True)
        manual_seed(settings.seed)
        models[name] = build()
        history, seconds = fit_translator(models[name], lr, vocabs[1].pad_id, encoded[0], encoded[1], settings)
        scores = {}
        for label, beam in (("greedy", None), (f"beam {settings.beam_size}", settings.beam_size)):
            started = time.perf_counter()
            scores[label] = test_bleu(models[name], test_pairs, encoded[2], vocabs[1], FRENCH.buckets, beam)
            scores[label + " seconds"] = time.perf_counter() - started
        results[name] = {
            "parameters": sum(p.numel() for p in models[name].parameters()),
            "lr": lr,
            "history": history,
            "train_seconds": seconds,
            "bleu": scores["greedy"][0],
            "beam_bleu": scores[f"beam {settings.beam_size}"][0],
            "greedy_seconds": scores["greedy seconds"],
            "beam_seconds": scores[f"beam {settings.beam_size} seconds"],
            "hypotheses": scores["greedy"][1][:5],
        }
        if name == "Transformer":
            translations = scores["greedy"][2]
    counts = {
        bucket_label(*bucket): sum(in_bucket(len(source), bucket) for source, _ in test_pairs)
        for bucket in FRENCH.buckets
    }
    long_ones = [i for i, (source, _) in enumerate(test_pairs) if len(source) >= 7][:3]
    maps = {
        "cross": [
            (
                test_pairs[i][0],
                vocabs[1].decode_tokens(translations[i].tokens, strip_special=False),
                translations[i].attention,
            )
            for i in long_ones
        ],
        "self": [
            (test_pairs[i][0], test_pairs[i][0], encoder_self_attention(models["Transformer"], encoded[2][i][0]))
            for i in long_ones
        ],
    }
    examples = [
        {"source": " ".join(s), "reference": " ".join(t), **{n: r["hypotheses"][i] for n, r in results.items()}}
        for i, (s, t) in enumerate(test_pairs[:5])
    ]
    return {"pairs": [len(train_pairs), len(val_pairs), len(test_pairs)], "models": results, "examples": examples}, (
        counts,
        maps,
    )


def print_table(summary, counts, settings):
    columns = ["all", *counts]
    print(
        f"\n{FRENCH.name} test BLEU by source length in tokens ({settings.epochs} epochs, batch {settings.batch_size})"
    )
    print(f"{'model':<28}" + "".join(f"{c:>8}" for c in columns))
    print(f"{'(test sentences)':<28}" + "".join(f"{n:>8}" for n in [sum(counts.values()), *counts.values()]))
    for name, r in summary["models"].items():
        for label, scores in (("greedy", r["bleu"]), (f"beam {settings.beam_size}", r["beam_bleu"])):
            print(f"{name + ', ' + label:<28}" + "".join(f"{scores[c]:>8.1f}" for c in columns))
    for name, r in summary["models"].items():
        loss, val_loss = r["history"]["loss"], r["history"]["val_loss"]
        print(
            f"{name}: {r['parameters']:,} parameters, Adam {r['lr']:g}; train loss {loss[0]:.3f} -> {loss[-1]:.3f}, "
            f"val loss {val_loss[-1]:.3f}; training {r['train_seconds']:.0f} s ({r['train_seconds'] / settings.epochs:.1f}"
            f" s per epoch); test set greedy {r['greedy_seconds']:.1f} s, beam {r['beam_seconds']:.1f} s"
        )
    for example in summary["examples"]:
        print(f"  {'source:':<18} {example['source']}\n  {'reference:':<18} {example['reference']}")
        for name in summary["models"]:
            print(f"  {name + ':':<18} {example[name]}")


def figures(summary, counts, maps, out_dir):
    plt = pyplot_or_none()
    if plt is None:
        return []
    bleu = plot_bleu_by_length(
        plt,
        {FRENCH.name: {**summary, "test_sentences_per_bucket": counts}},
        os.path.join(out_dir, "bleu_by_length.png"),
    )
    return [bleu, plot_attention(plt, maps, os.path.join(out_dir, "attention_maps.png"))]


def plot_attention(plt, maps, path):
    """Top row: the encoder's self-attention of three test sentences; bottom row: the
    decoder's cross-attention while translating them."""
    rows = (
        ("self", "encoder self-attention: row = French word, column = French word it reads"),
        ("cross", "decoder cross-attention: row = English word written, column = French word read"),
    )
    fig, axes = plt.subplots(2, len(maps["self"]), figsize=(3.4 * len(maps["self"]), 7), squeeze=False)
    for ax_row, (kind, title) in zip(axes, rows):
        ax_row[0].set_title(title, fontsize=8, loc="left")
        for ax, attention_map in zip(ax_row, maps[kind]):
            draw_attention_map(ax, *attention_map)
    fig.suptitle("Transformer, last layer, averaged over the heads", fontsize=9)
    return save_figure(fig, path, dpi=100)


def run(out_dir, quick=False):
    settings, sizes = (QUICK, TRANSFORMER_QUICK) if quick else (FULL, TRANSFORMER)
    logging.getLogger("sacrebleu").setLevel(logging.ERROR)  # both sides are tokenised on purpose, alike
    summary, (counts, maps) = run_models(settings, sizes)
    print_table(summary, counts, settings)
    return {
        "settings": asdict(settings),
        "transformer": sizes,
        **summary,
        "test_sentences_per_bucket": counts,
        "figures": figures(summary, counts, maps, out_dir),
    }


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/attention.py AttentionFunction,
  npgrad/textbook/normalization.py LayerNormFunction
fast ops: npgrad/functional/attention.py scaled_dot_product_attention, npgrad/nn/attention.py
  MultiheadAttention, npgrad/nn/transformer.py TransformerEncoderLayer, TransformerDecoderLayer
  and SinusoidalPositionalEncoding
the model: npgrad/models/transformer_seq2seq.py TransformerSeq2Seq (beside npgrad/models/seq2seq.py Seq2Seq)
the data, training and BLEU: seq2seq-attention's, npgrad/lessons/seq2seq_attention.py prepare,
  fit_translator and test_bleu
the page: docs/lessons/transformer-translation.md
"""

if __name__ == "__main__":
    main(run)
