"""BERT-Tiny pretrained by masked-LM and next-sentence prediction on WikiText-2, Shakespeare, SST-2.

The corpus is the English text of the shared data folder: the WikiText-2 validation and test
articles and Tiny Shakespeare (in documents of 40 speeches), split into sentences, give the
next-sentence pairs ([CLS] A [SEP] B [SEP], B the true next sentence half of the time); the
SST-2 training sentences, without their labels, are single-segment examples ([CLS] A [SEP])
that train the masked-LM only (their next-sentence label is -100, ignored). Every 20th
document and the SST-2 dev sentences are held out to measure the masked-LM and next-sentence
accuracy of a fixed, once-masked set of examples.

A WordPiece vocabulary is trained on the pretraining text with `tokenizers` (npgrad[bert]),
then the model is a BERT-Tiny (2 layers, 128 wide, 2 heads) trained with AdamW, a linear
warm-up and decay, and the masked-LM head applied to the selected positions only (the same
loss as at every position with labels -100, for a sixth of the cost).

The trained model, its vocab.txt and its history are kept in runs/bert-checkpoints/ (beside
the output folder), keyed by the configuration, so that bert-finetune and masking-ratio
reuse the same pretraining instead of repeating it.
"""

import hashlib
import json
import os

import numpy as np

from npgrad import manual_seed, nn, no_grad, optim, tensor
from npgrad import io as npgrad_io
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.datasets import SST2, TinyShakespeare, storage
from npgrad.nn.functional import cross_entropy
from npgrad.models.bert import BertConfig, BertForPreTraining
from npgrad.nn.module import eval_mode
from npgrad.optim import weight_decay_groups
from npgrad.text import (
    IGNORE_INDEX,
    BucketBatchSampler,
    MaskedLMCollator,
    WordPieceTokenizer,
    next_sentence_pairs,
    split_sentences,
    wikitext_documents,
)
from npgrad.utils.progress import progress
from npgrad.lessons import main

WIKITEXT = [
    storage.DataFile(
        "wikitext-2", "wiki.valid.tokens", "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8"
    ),
    storage.DataFile(
        "wikitext-2", "wiki.test.tokens", "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0"
    ),
]
CONFIG = {
    "vocab_size": 8000,
    "layers": 2,
    "width": 128,
    "heads": 2,
    "max_length": 64,
    "batch_size": 32,
    "steps": 60000,
    "lr": 1e-3,
    "warmup_fraction": 0.05,
    "weight_decay": 0.01,
    "grad_clip": 1.0,
    "mlm_probability": 0.15,
    "eval_every": 5000,
    "eval_examples": 512,
    "speeches_per_document": 40,
    "held_out_every": 20,
    "documents": None,  # all; quick runs take fewer
    "sst2_sentences": None,
    "seed": 0,
}
QUICK_CONFIG = {
    **CONFIG,
    "vocab_size": 1500,
    "layers": 1,
    "width": 32,
    "heads": 2,
    "max_length": 32,
    "batch_size": 32,
    "steps": 150,
    "lr": 3e-3,
    "eval_every": 50,
    "eval_examples": 128,
    "documents": 60,
    "sst2_sentences": 4000,
}


def config_for(quick):
    return QUICK_CONFIG if quick else CONFIG


# ----------------------------------------------------------------------------- the corpus
def shakespeare_documents(text, speeches_per_document):
    """Tiny Shakespeare as documents of `speeches_per_document` consecutive speeches, each
    speech's lines (without the speaker's name) split into sentences."""
    speeches = [block.split("\n", 1)[1] for block in text.strip().split("\n\n") if "\n" in block]
    sentences = [split_sentences(" ".join(speech.split())) for speech in speeches]
    return [
        [s for speech in sentences[i : i + speeches_per_document] for s in speech]
        for i in range(0, len(sentences), speeches_per_document)
    ]


def wikitext_lines(root=None):
    """The lines of WikiText-2's validation and test files (checksums verified)."""
    return [
        line
        for file in WIKITEXT
        for line in storage.read_verified(storage.locate(file, root, download=False), file.sha256)
        .decode("utf-8")
        .splitlines()
    ]


def pretraining_corpus(config, root=None):
    """{"documents", "held_out_documents", "sentences", "held_out_sentences"}: WikiText-2
    valid+test articles and Tiny Shakespeare as documents of sentences (every
    held_out_every-th held out), the SST-2 train sentences, and the SST-2 dev sentences held out."""
    shakespeare = TinyShakespeare(root, download=False)
    text = shakespeare.text + TinyShakespeare(root, train=False, download=False).text
    documents = wikitext_documents(wikitext_lines(root)) + shakespeare_documents(text, config["speeches_per_document"])
    documents = documents[: config["documents"]]
    every = config["held_out_every"]
    return {
        "documents": [d for i, d in enumerate(documents) if i % every != every - 1],
        "held_out_documents": [d for i, d in enumerate(documents) if i % every == every - 1],
        "sentences": SST2(root, "train").sentences[: config["sst2_sentences"]],
        "held_out_sentences": SST2(root, "dev").sentences[: config["sst2_sentences"]],
    }


def corpus_texts(corpus):
    """Every pretraining sentence (not the held-out ones): what the vocabulary is trained on."""
    return [s for document in corpus["documents"] for s in document] + list(corpus["sentences"])


def describe_corpus(corpus, tokenizer):
    sentences = corpus_texts(corpus)
    tokens = sum(len(tokenizer.tokenize(s)) for s in sentences)
    return {
        "documents": len(corpus["documents"]),
        "document_sentences": sum(map(len, corpus["documents"])),
        "sst2_sentences": len(corpus["sentences"]),
        "wordpiece_tokens": tokens,
    }


# ----------------------------------------------------------------------------- examples and batches
def encoder(tokenizer):
    """text -> its WordPiece ids (a tuple), each distinct text encoded once."""
    memo = {}

    def encode(text):
        if text not in memo:
            memo[text] = tuple(tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text)))
        return memo[text]

    return encode


def pretraining_examples(documents, sentences, encode, rng):
    """(A ids, B ids or None, next-sentence label): fresh next-sentence pairs of the documents,
    then each single sentence with label -100."""
    encoded = [[encode(s) for s in document] for document in documents]
    return next_sentence_pairs(encoded, seed=rng) + [(encode(s), None, IGNORE_INDEX) for s in sentences]


def collate(tokenizer, examples, collator, max_length):
    """Examples (A, B or None, label) as a masked, padded batch of arrays."""
    batch = tokenizer.pad(
        [tokenizer.encode_ids(list(a), None if b is None else list(b), max_length) for a, b, _ in examples]
    )
    batch["original_ids"] = batch["input_ids"]
    batch["input_ids"], batch["labels"] = collator(batch["input_ids"])
    batch["next_sentence_label"] = np.array([label for _, _, label in examples], dtype=np.int64)
    return batch


def training_batches(corpus, tokenizer, collator, config, rng):
    """Masked training batches, epoch after epoch (next-sentence pairs drawn afresh each epoch)."""
    encode = encoder(tokenizer)
    while True:
        examples = pretraining_examples(corpus["documents"], corpus["sentences"], encode, rng)
        lengths = [len(a) + (0 if b is None else len(b)) for a, b, _ in examples]
        for indices in BucketBatchSampler(lengths, config["batch_size"], generator=rng):
            yield collate(tokenizer, [examples[i] for i in indices], collator, config["max_length"])


def held_out_batches(corpus, tokenizer, config):
    """A fixed set of eval_examples held-out examples, masked once with a fixed seed."""
    rng = np.random.default_rng(12345)
    examples = pretraining_examples(corpus["held_out_documents"], corpus["held_out_sentences"], encoder(tokenizer), rng)
    examples = [examples[i] for i in rng.permutation(len(examples))[: config["eval_examples"]]]
    collator = MaskedLMCollator(tokenizer, config["mlm_probability"], seed=rng)
    size = config["batch_size"]
    return [
        collate(tokenizer, examples[i : i + size], collator, config["max_length"])
        for i in range(0, len(examples), size)
    ]


# ----------------------------------------------------------------------------- the model and its training
def bert_config(config, vocab_size):
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=config["width"],
        num_hidden_layers=config["layers"],
        num_attention_heads=config["heads"],
        intermediate_size=4 * config["width"],
        max_position_embeddings=config["max_length"],
    )


def pretraining_outputs(model, batch):
    """(loss, MLM hits, MLM count, NSP hits, NSP count) of BertForPreTraining on a batch, the
    MLM head applied only at the selected positions and the NSP loss only on labelled rows;
    loss None when the batch has neither (a mean over nothing would be NaN)."""
    hidden, pooled = model.bert(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"])
    labels = batch["labels"].reshape(-1)
    selected = np.flatnonzero(labels != IGNORE_INDEX)
    mlm_logits = model.mlm_head(hidden.reshape(-1, hidden.shape[-1])[tensor(selected)])
    nsp = batch["next_sentence_label"]
    labelled = nsp != IGNORE_INDEX
    nsp_logits = model.nsp_head(pooled)
    losses = [cross_entropy(mlm_logits, tensor(labels[selected]))] if len(selected) else []
    losses += [cross_entropy(nsp_logits, tensor(nsp))] if labelled.any() else []
    loss = sum(losses[1:], losses[0]) if losses else None  # None: nothing selected nor labelled
    mlm_hits = int((mlm_logits._data.argmax(-1) == labels[selected]).sum())
    nsp_hits = int((nsp_logits._data.argmax(-1) == nsp)[labelled].sum())
    return loss, mlm_hits, len(selected), nsp_hits, int(labelled.sum())


def linear_schedule(step, total, warmup_fraction):
    """BERT's learning-rate factor: linear warm-up over the first warmup_fraction of the steps,
    then linear decay to 0."""
    warmup = max(1, int(warmup_fraction * total))
    return (step + 1) / warmup if step < warmup else max(0.0, (total - step) / (total - warmup))


def masking_counts(batch, tokenizer):
    """[eligible, selected, [MASK], random, kept] token counts of a masked batch."""
    original, masked, selected = batch["original_ids"], batch["input_ids"], batch["labels"] != IGNORE_INDEX
    eligible = ~np.isin(original, sorted(tokenizer.special_ids))
    to_mask = selected & (masked == tokenizer.mask_id)
    kept = selected & (masked == original)
    return np.array([eligible.sum(), selected.sum(), to_mask.sum(), (selected & ~to_mask & ~kept).sum(), kept.sum()])


def evaluate(model, batches):
    """(held-out MLM accuracy, NSP accuracy) in eval mode."""
    totals = np.zeros(4)
    with eval_mode(model), no_grad():
        for batch in batches:
            totals += pretraining_outputs(model, batch)[1:]
    return totals[0] / max(totals[1], 1), totals[2] / max(totals[3], 1)


def pretrain(config, corpus, tokenizer, name="pretrain"):
    """A BertForPreTraining trained for config["steps"] steps; returns (model, history)."""
    rng = np.random.default_rng(config["seed"])
    manual_seed(config["seed"])
    model = BertForPreTraining(bert_config(config, len(tokenizer)))
    optimizer = optim.AdamW(weight_decay_groups(model.named_parameters(), config["weight_decay"]), lr=config["lr"])
    collator = MaskedLMCollator(tokenizer, config["mlm_probability"], seed=rng)
    batches, held_out = (
        training_batches(corpus, tokenizer, collator, config, rng),
        held_out_batches(corpus, tokenizer, config),
    )
    history = {
        "step": [],
        "loss": [],
        "mlm_accuracy": [],
        "nsp_accuracy": [],
        "eval": [],
        "masking_counts": np.zeros(5),
    }
    bar = progress(range(config["steps"]), desc=name, unit="step")
    for step in bar:
        if step % config["eval_every"] == 0:
            history["eval"].append((step, *evaluate(model, held_out)))
            bar.set_postfix(held_out_mlm=round(history["eval"][-1][1], 3), nsp=round(history["eval"][-1][2], 3))
        batch = next(batches)
        history["masking_counts"] += masking_counts(batch, tokenizer)
        for group in optimizer.param_groups:
            group["lr"] = config["lr"] * linear_schedule(step, config["steps"], config["warmup_fraction"])
        loss, mlm_hits, mlm_count, nsp_hits, nsp_count = pretraining_outputs(model, batch)
        if loss is not None:
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config["grad_clip"])
            optimizer.step()
        history["step"].append(step)
        history["loss"].append(float("nan") if loss is None else loss.item())
        history["mlm_accuracy"].append(mlm_hits / max(mlm_count, 1))
        history["nsp_accuracy"].append(nsp_hits / nsp_count if nsp_count else float("nan"))
    history["eval"].append((config["steps"], *evaluate(model, held_out)))
    history["masking_counts"] = history["masking_counts"].tolist()
    return model, history


# ----------------------------------------------------------------------------- the checkpoint cache
def checkpoint_folder(out_dir):
    return os.path.join(os.path.dirname(os.path.abspath(out_dir)), "bert-checkpoints")


def config_key(config, fields=None):
    """A short hash of the configuration (of `fields` only, if given), to name what it produced."""
    chosen = {k: v for k, v in config.items() if fields is None or k in fields}
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:12]


def trained_tokenizer(config, corpus, out_dir):
    """The WordPiece tokenizer of the pretraining text, trained once and kept as a vocab.txt."""
    key = config_key(config, ("vocab_size", "documents", "sst2_sentences", "speeches_per_document", "held_out_every"))
    path = os.path.join(checkpoint_folder(out_dir), f"vocab-{key}.txt")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        WordPieceTokenizer.train(corpus_texts(corpus), vocab_size=config["vocab_size"]).save(path + ".part")
        os.replace(path + ".part", path)
    return WordPieceTokenizer.from_file(path)


def pretrained(config, out_dir, root=None):
    """(BertForPreTraining, tokenizer, history, corpus) for `config`: loaded from the checkpoint
    folder when this configuration was trained before, else trained and saved there."""
    corpus = pretraining_corpus(config, root)
    tokenizer = trained_tokenizer(config, corpus, out_dir)
    path = os.path.join(checkpoint_folder(out_dir), f"pretrain-{config_key(config)}.safetensors")
    if os.path.exists(path):
        saved = npgrad_io.load(path)
        model = BertForPreTraining(bert_config(config, len(tokenizer)))
        model.load_state_dict(saved["model"])
        model.bert.check_vocabulary(tokenizer)
        print(f"pretrained model (mask {config['mlm_probability']:.0%}) loaded from {path}")
        return model, tokenizer, saved["history"], corpus
    model, history = pretrain(config, corpus, tokenizer, f"pretrain (mask {config['mlm_probability']:.0%})")
    npgrad_io.save({"model": model.state_dict(), "history": history, "config": config}, path)
    return model, tokenizer, history, corpus


# ----------------------------------------------------------------------------- the lesson
def masking_statistics(history):
    eligible, selected, masked, randomized, kept = history["masking_counts"]
    return {
        "selected": selected / eligible,
        "mask": masked / selected,
        "random": randomized / selected,
        "kept": kept / selected,
        "tokens": int(eligible),
    }


def smooth(values, window=50):
    values = np.asarray(values, dtype=float)
    window = max(1, min(window, len(values) // 5 or 1))
    finite = np.nan_to_num(values)
    counts = np.convolve(np.isfinite(values), np.ones(window), "valid")
    return np.convolve(finite, np.ones(window), "valid") / np.maximum(counts, 1), window


def plot_pretraining(history, path, title):
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    steps, mlm, nsp = (np.array(c) for c in zip(*history["eval"]))
    for ax, key, held, label in (
        (axes[0], "mlm_accuracy", mlm, "masked-LM accuracy"),
        (axes[1], "nsp_accuracy", nsp, "next-sentence accuracy"),
    ):
        curve, window = smooth(history[key])
        ax.plot(np.arange(len(curve)) + window - 1, curve, lw=1, label=f"training batches (mean of {window})")
        ax.plot(steps, held, "o-", ms=3, label="held-out examples")
        ax.set_xlabel("step")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    axes[1].axhline(0.5, color="gray", ls=":", lw=1)
    curve, window = smooth(history["loss"])
    axes[2].plot(np.arange(len(curve)) + window - 1, curve)
    axes[2].set_xlabel("step")
    axes[2].set_ylabel("MLM + NSP loss (training)")
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path, dpi=100)


def run(out_dir, quick=False):
    config = config_for(quick)
    model, tokenizer, history, corpus = pretrained(config, out_dir)
    corpus_stats = describe_corpus(corpus, tokenizer)
    stats = masking_statistics(history)
    _, mlm_start, nsp_start = history["eval"][0]
    steps, mlm, nsp = history["eval"][-1]
    params = sum(p.numel() for p in model.bert.parameters())
    print(
        f"\ncorpus: {corpus_stats['documents']} documents ({corpus_stats['document_sentences']:,} sentences: WikiText-2 "
        f"valid+test articles, Tiny Shakespeare) + {corpus_stats['sst2_sentences']:,} SST-2 training sentences, "
        f"{corpus_stats['wordpiece_tokens']:,} WordPiece tokens; vocabulary {len(tokenizer):,}"
    )
    print(
        f"model: {config['layers']} layers, {config['width']} wide, {config['heads']} heads, {params:,} parameters "
        f"in the encoder; {steps} steps of {config['batch_size']} examples ({steps * config['batch_size']:,} examples)"
    )
    print(
        f"masking over {stats['tokens']:,} eligible training tokens: {stats['selected']:.2%} selected; of those "
        f"{stats['mask']:.2%} [MASK], {stats['random']:.2%} random, {stats['kept']:.2%} kept"
    )
    first, last = np.nanmean(history["loss"][:10]), np.nanmean(history["loss"][-50:])
    print(f"training loss (MLM + NSP): {first:.3f} over the first 10 steps, {last:.3f} over the last 50")
    print("\n| held-out | untrained | trained |\n|---|---|---|")
    print(
        f"| masked-LM accuracy | {mlm_start:.1%} | {mlm:.1%} |\n| next-sentence accuracy | {nsp_start:.1%} | {nsp:.1%} |"
    )
    figure = plot_pretraining(
        history,
        os.path.join(out_dir, "pretraining_curves.png"),
        f"BERT pretraining ({steps} steps): held-out MLM accuracy {mlm:.1%}, NSP accuracy {nsp:.1%}",
    )
    tokenizer.save(os.path.join(out_dir, "vocab.txt"))
    return {
        "config": config,
        "corpus": corpus_stats,
        "masking": stats,
        "held_out_mlm_accuracy": mlm,
        "held_out_nsp_accuracy": nsp,
        "untrained_mlm_accuracy": mlm_start,
        "untrained_nsp_accuracy": nsp_start,
        "training_loss_first_10": float(first),
        "training_loss_last_50": float(last),
        "eval_curve": history["eval"],
        "figures": [figure],
    }


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/attention.py AttentionFunction,
  npgrad/textbook/normalization.py LayerNormFunction, npgrad/textbook/loss.py SoftmaxCrossEntropyFunction
fast ops: npgrad/functional/attention.py scaled_dot_product_attention, npgrad/functional/normalization.py
  layer_norm, npgrad/functional/loss.py cross_entropy
the model: npgrad/models/bert.py BertForPreTraining, BERT, BertMLMHead
the data: npgrad/text/wordpiece.py WordPieceTokenizer, npgrad/text/mlm.py MaskedLMCollator and
  next_sentence_pairs, npgrad/text/batching.py BucketBatchSampler
the optimizer: npgrad/optim/adamw.py AdamW, npgrad/optim/param_groups.py weight_decay_groups
the page: docs/lessons/bert-pretrain.md
"""

if __name__ == "__main__":
    main(run)
