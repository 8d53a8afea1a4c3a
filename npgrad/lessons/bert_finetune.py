"""SST-2: pretrained BERT-Tiny vs from scratch vs bag-of-words at 1,000 and all labels; frozen vs fine-tuned.

What pretraining buys. SST-2 sentiment with the BERT-Tiny pretrained by
bert-pretrain, fine-tuned, against the same architecture trained from scratch and a
bag-of-words logistic regression, with 1,000 labelled sentences and with all 60,614; and the
pretrained encoder frozen (feature extraction: only the pooler and the classifier train)
against full fine-tuning.

Each seed draws its own 1,000 training sentences (the same ones for every model of that
seed) and initialises the new layers; all models train with AdamW, a linear warm-up over the
first 10 % of the steps and a linear decay, batches of 32 grouped by length, sentences cut to
64 tokens (the pretraining length), and no model selection: the weights after the last epoch
are tested on test.tsv (GLUE's SST-2 dev set). The learning rates of the fine-tuned, scratch
and bag-of-words models were chosen on dev.tsv at 1,000 labels (2e-4 / 5e-4 / 1e-3, and
3e-3 / 1e-2 / 3e-2 for the logistic regression); the frozen encoder's 1e-3 was not tuned.
"""

import json
import os

import numpy as np

from npgrad import manual_seed, nn, no_grad, optim, tensor
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.datasets import SST2
from npgrad.nn.functional import cross_entropy
from npgrad.models.bert import BertForSequenceClassification
from npgrad.nn.module import eval_mode
from npgrad.optim import weight_decay_groups
from npgrad.text import BucketBatchSampler
from npgrad.utils.progress import progress
from npgrad.lessons import bert_pretrain, main

CONFIG = {
    "label_counts": [1000, None],  # None: the whole training set
    "epochs": {"1000": 10, "all": 1},
    "seeds": [0, 1, 2],
    "batch_size": 32,
    "lr": {"pretrained": 5e-4, "frozen": 1e-3, "scratch": 5e-4, "bag-of-words": 3e-2},
    "warmup_fraction": 0.1,
    "weight_decay": 0.01,
    "grad_clip": 1.0,
    "train_sentences": None,
}
QUICK_CONFIG = {
    **CONFIG,
    "label_counts": [300, None],
    "epochs": {"300": 4, "all": 1},
    "seeds": [0, 1],
    "lr": {"pretrained": 3e-3, "frozen": 3e-3, "scratch": 3e-3, "bag-of-words": 3e-2},
    "train_sentences": 3000,
}
METHODS = {
    "pretrained": "BERT-Tiny pretrained here, fine-tuned",
    "frozen": "the same, encoder frozen (pooler + classifier trained)",
    "scratch": "the same architecture from scratch",
    "bag-of-words": "bag-of-words logistic regression",
}
PUBLISHED = [
    ("published BERT-Tiny (pretrained on billions of words)", "83.2 % (GLUE test)"),
    ("published BERT-base", "about 93 %"),
    ("bag-of-words baselines in the literature", "80-82 %"),
]


def config_for(quick):
    return QUICK_CONFIG if quick else CONFIG


def encoded_split(tokenizer, split, max_length, count=None, root=None):
    """(list of [CLS] sentence [SEP] id lists, labels) of an SST-2 split."""
    data = SST2(root, split)
    sentences, labels = data.sentences[:count], data.targets[:count]
    return [tokenizer.encode(s, max_length=max_length)[0] for s in sentences], np.asarray(labels)


def padded(tokenizer, rows):
    return tokenizer.pad([(ids, [0] * len(ids)) for ids in rows])


def bag_of_words(rows, vocab_size, special_ids):
    """(N, vocab_size) float32: 1 where a token occurs in the row, special tokens left out."""
    features = np.zeros((len(rows), vocab_size), np.float32)
    for row, ids in enumerate(rows):
        features[row, list(ids)] = 1.0
    features[:, sorted(special_ids)] = 0.0
    return features


class BagOfWords(nn.Module):
    """Logistic regression on which vocabulary tokens a sentence contains."""

    def __init__(self, tokenizer, num_labels=2):
        super().__init__()
        self.vocab_size, self.special_ids = len(tokenizer), tokenizer.special_ids
        self.linear = nn.Linear(self.vocab_size, num_labels)

    def forward(self, rows):
        return self.linear(tensor(bag_of_words(rows, self.vocab_size, self.special_ids)))


def build_model(method, pretrained_model, tokenizer, config):
    """The model of `method`, its new layers initialised from the current seed."""
    if method == "bag-of-words":
        return BagOfWords(tokenizer)
    model = BertForSequenceClassification(bert_pretrain.bert_config(config, len(tokenizer)))
    if method in ("pretrained", "frozen"):
        model.bert.load_state_dict(pretrained_model.bert.state_dict())
    if method == "frozen":
        for part in (model.bert.embeddings, model.bert.encoder):
            part.requires_grad_(False)
    return model


def logits_of(model, tokenizer, rows):
    if isinstance(model, BagOfWords):
        return model(rows)
    batch = padded(tokenizer, rows)
    return model(batch["input_ids"], None, batch["attention_mask"])[0]


def set_training(model, method):
    """Training mode; a frozen encoder stays in eval mode (no dropout on fixed features)."""
    model.train()
    if method == "frozen":
        model.bert.embeddings.eval()
        model.bert.encoder.eval()


def train(model, method, tokenizer, rows, labels, epochs, config, rng, desc):
    """AdamW with BERT's warm-up and linear decay, batches grouped by length."""
    params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    optimizer = optim.AdamW(weight_decay_groups(params, config["weight_decay"]), lr=config["lr"][method])
    batches = BucketBatchSampler([len(r) for r in rows], config["batch_size"], generator=rng)
    total = epochs * len(batches)
    bar = progress(total=total, desc=desc, unit="step")
    set_training(model, method)
    step = 0
    for _ in range(epochs):
        for indices in batches:
            scale = bert_pretrain.linear_schedule(step, total, config["warmup_fraction"])
            for group in optimizer.param_groups:
                group["lr"] = config["lr"][method] * scale
            loss = cross_entropy(logits_of(model, tokenizer, [rows[i] for i in indices]), tensor(labels[indices]))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_([p for _, p in params], config["grad_clip"])
            optimizer.step()
            step += 1
            bar.update(1)
    bar.close()
    return model


def accuracy(model, tokenizer, rows, labels, batch_size=128):
    order = np.argsort([len(r) for r in rows], kind="stable")
    hits = 0
    with eval_mode(model), no_grad():
        for start in range(0, len(rows), batch_size):
            chunk = order[start : start + batch_size]
            predicted = logits_of(model, tokenizer, [rows[i] for i in chunk])._data.argmax(-1)
            hits += int((predicted == labels[chunk]).sum())
    return hits / len(rows)


def label_name(count):
    return "all" if count is None else str(count)


def finetune(method, pretrained_model, tokenizer, data, count, seed, config, pretrain_config):
    """Test accuracy of `method` trained on `count` labelled sentences (None: all) at `seed`."""
    rows, labels = data["train"]
    rng = np.random.default_rng(seed)
    chosen = np.arange(len(rows)) if count is None else rng.choice(len(rows), count, replace=False)
    manual_seed(seed)
    model = build_model(method, pretrained_model, tokenizer, pretrain_config)
    epochs = config["epochs"][label_name(count)]
    desc = f"{method}, {label_name(count)} labels, seed {seed}"
    train(model, method, tokenizer, [rows[i] for i in chosen], labels[chosen], epochs, config, rng, desc)
    return accuracy(model, tokenizer, *data["test"])


def finetuned_accuracy(method, pretrained_model, tokenizer, data, count, seed, config, pretrain_config, out_dir):
    """finetune()'s test accuracy, kept as a small JSON file in the checkpoint folder, so that
    a stopped run resumes where it was and several processes can share out the seeds."""
    name = label_name(count)
    settings = {
        "method": method,
        "labels": name,
        "seed": seed,
        "epochs": config["epochs"][name],
        "lr": config["lr"][method],
        "pretraining": bert_pretrain.config_key(pretrain_config),
        **{k: config[k] for k in ("batch_size", "warmup_fraction", "weight_decay", "grad_clip", "train_sentences")},
    }
    path = os.path.join(bert_pretrain.checkpoint_folder(out_dir), f"finetune-{bert_pretrain.config_key(settings)}.json")
    if os.path.exists(path):
        with open(path) as file:
            return json.load(file)["accuracy"]
    result = {
        **settings,
        "accuracy": finetune(method, pretrained_model, tokenizer, data, count, seed, config, pretrain_config),
    }
    with open(path + ".part", "w") as file:
        json.dump(result, file)
    os.replace(path + ".part", path)
    return result["accuracy"]


def sst2_data(tokenizer, config, max_length):
    """The encoded SST-2 train and test splits, cut to the pretraining's max_length."""
    return {
        "train": encoded_split(tokenizer, "train", max_length, config["train_sentences"]),
        "test": encoded_split(tokenizer, "test", max_length),
    }


def summary(values):
    values = np.asarray(values)
    return {
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "min": float(values.min()),
        "max": float(values.max()),
        "seeds": values.tolist(),
    }


def cell(stats):
    return f"{100 * stats['mean']:.1f} ± {100 * stats['std']:.1f} % ({100 * stats['min']:.1f}-{100 * stats['max']:.1f})"


def plot_bars(results, counts, path, title):
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    width = 0.8 / len(results)
    for k, (method, cells) in enumerate(results.items()):
        means = [100 * cells[c]["mean"] for c in counts]
        stds = [100 * cells[c]["std"] for c in counts]
        ax.bar(np.arange(len(counts)) + k * width, means, width, yerr=stds, capsize=3, label=METHODS[method])
    ax.axhline(83.2, color="gray", ls=":", lw=1, label="published BERT-Tiny 83.2 %")
    ax.set_xticks(np.arange(len(counts)) + width * (len(results) - 1) / 2)
    ax.set_xticklabels([f"{c} labelled sentences" for c in counts])
    ax.set_ylabel("SST-2 test accuracy (%)")
    ax.set_ylim(45, 95)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    return save_figure(fig, path, dpi=100)


def results_table(results, counts, seeds):
    """The printed table: a row per method, then the published figures."""
    lines = [
        f"SST-2 test accuracy (872 sentences), mean ± standard deviation (min-max) over {seeds} seeds",
        f"| model | {' | '.join(f'{c} labels' for c in counts)} |",
        f"|---|{'---|' * len(counts)}",
    ]
    for method, cells in results.items():
        lines.append(f"| {METHODS[method]} | {' | '.join(cell(cells[c]) for c in counts)} |")
    lines += [f"| {label} | {' | '.join(['-'] * (len(counts) - 1) + [value])} |" for label, value in PUBLISHED]
    return "\n".join(lines)


def run(out_dir, quick=False):
    config, pretrain_config = config_for(quick), bert_pretrain.config_for(quick)
    pretrained_model, tokenizer, history, _ = bert_pretrain.pretrained(pretrain_config, out_dir)
    data = sst2_data(tokenizer, config, pretrain_config["max_length"])
    counts = [f"{len(data['train'][0]) if c is None else c:,}" for c in config["label_counts"]]
    results = {method: {} for method in METHODS}
    for count, shown in zip(config["label_counts"], counts):
        for method in METHODS:
            scores = [
                finetuned_accuracy(
                    method, pretrained_model, tokenizer, data, count, seed, config, pretrain_config, out_dir
                )
                for seed in config["seeds"]
            ]
            results[method][shown] = summary(scores)
            print(f"{METHODS[method]}, {shown} labels: {cell(results[method][shown])}", flush=True)
    gains = {
        f"pretrained - scratch, {shown} labels": summary(
            np.subtract(results["pretrained"][shown]["seeds"], results["scratch"][shown]["seeds"])
        )
        for shown in counts
    }
    print("\n" + results_table(results, counts, len(config["seeds"])))
    for name, gain in gains.items():
        per_seed = ", ".join(f"{100 * g:+.1f}" for g in gain["seeds"])
        print(f"{name}: {100 * gain['mean']:+.1f} ± {100 * gain['std']:.1f} points (per seed {per_seed})")
    steps = history["eval"][-1][0]
    figure = plot_bars(
        results,
        counts,
        os.path.join(out_dir, "sst2_accuracy.png"),
        f"SST-2 test accuracy ({len(config['seeds'])} seeds; BERT-Tiny pretrained {steps} steps here)",
    )
    return {
        "config": config,
        "pretrain_config": pretrain_config,
        "results": results,
        "gains": gains,
        "figures": [figure],
    }


READ_NEXT = """
the model: npgrad/models/bert.py BertForSequenceClassification (the pretrained BERT, its pooler
  and a new classifier), npgrad/lessons/bert_pretrain.py pretrained (the checkpoint it reuses)
textbook (the lecture's equations): npgrad/textbook/attention.py AttentionFunction,
  npgrad/textbook/loss.py SoftmaxCrossEntropyFunction
fast ops: npgrad/functional/attention.py scaled_dot_product_attention, npgrad/functional/loss.py cross_entropy
freezing: npgrad/nn/module.py Module.requires_grad_; weight decay: npgrad/optim/param_groups.py weight_decay_groups
the data: npgrad/datasets/sst2.py SST2, npgrad/text/wordpiece.py WordPieceTokenizer
the page: docs/lessons/bert-finetune.md
"""

if __name__ == "__main__":
    main(run)
