"""A character-level LSTM on Tiny Shakespeare: validation loss and samples.

The model reads 64 characters and predicts, at every position, the character that comes
next: Embedding (65 characters -> 64) -> LSTM (256 units) -> Linear back to the 65
characters, trained with cross-entropy on every position by Adam (lr 1e-3) on batches of 32
windows cut at random places of the first 90 % of the text. This is the `lstm` workload of
the speed benchmarks, trained for real. Every `eval_every` steps the loss on the last 10 %
(every character scored once, in windows of 64 that each start from a zero state) shows how
well the model predicts text it has never seen; exp(loss) is the perplexity, how many
characters it is still choosing between (65 for a uniform guess, about 1 for a perfect model).
Then the model writes: sampling each next character from softmax(logits / temperature), at
temperatures 0.5 (safe, repetitive), 0.8 and 1.0 (the model's own distribution).

benchmarks/char_rnn_torch.py trains PyTorch's LSTM from the same initial weights on the same
windows with the same evaluation, through `train_and_validate` below.
"""

import math
import os
import time

import numpy as np

from npgrad import manual_seed, nn, no_grad, optim, tensor
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.datasets import shakespeare_splits
from npgrad.models import CharRNN
from npgrad.text import perplexity, random_windows, windows_at
from npgrad.utils.progress import progress
from npgrad.lessons import main

CONFIG = {
    "embedding_dim": 64,
    "hidden_size": 256,
    "block_size": 64,
    "batch_size": 32,
    "lr": 1e-3,
    "steps": 2500,
    "eval_every": 100,
    "seed": 0,
    "validation_characters": None,
    "sample_length": 300,
}
QUICK_CONFIG = {
    **CONFIG,
    "hidden_size": 64,
    "block_size": 32,
    "lr": 5e-3,
    "steps": 100,
    "eval_every": 50,
    "validation_characters": 10_000,
    "sample_length": 60,
}
TEMPERATURES = (0.5, 0.8, 1.0)
PROMPT = "ROMEO:\n"
EVAL_BATCH = 256  # validation windows per forward pass


def config_for(quick):
    return QUICK_CONFIG if quick else CONFIG


def validation_windows(ids, block_size):
    """Non-overlapping windows of block_size inputs and their next characters, (N, block_size)
    each: every character of `ids` but the first (and the tail that fills no window) is a
    target exactly once."""
    return windows_at(ids, np.arange(0, len(ids) - block_size, block_size), block_size)


def validation_loss(summed_nll, windows):
    """Mean cross-entropy per character over all the windows; summed_nll(inputs, targets) gives
    a batch's total negative log-likelihood."""
    inputs, targets = windows
    total = sum(
        summed_nll(inputs[i : i + EVAL_BATCH], targets[i : i + EVAL_BATCH]) for i in range(0, len(inputs), EVAL_BATCH)
    )
    return total / targets.size


def train_and_validate(train_step, summed_nll, train_ids, windows, config, name="npgrad"):
    """The training loop, whatever the framework: train_step(inputs, targets) -> loss takes
    one optimizer step on a (batch_size, block_size) batch. The batches come from a generator
    seeded with config["seed"], so every framework sees the same windows. Returns the training
    losses, the validation curve [(step, loss)] (step 0 is the untrained model) and the
    median milliseconds per training step."""
    generator = np.random.default_rng(config["seed"])
    losses, step_seconds = [], []
    curve = [(0, validation_loss(summed_nll, windows))]
    print(f"{name}: step 0, validation loss {curve[0][1]:.3f}", flush=True)
    for step in progress(range(1, config["steps"] + 1), desc=name, unit="step"):
        inputs, targets = random_windows(train_ids, config["batch_size"], config["block_size"], generator)
        started = time.perf_counter()
        losses.append(train_step(inputs, targets))
        step_seconds.append(time.perf_counter() - started)
        if step % config["eval_every"] == 0 or step == config["steps"]:
            curve.append((step, validation_loss(summed_nll, windows)))
            recent = np.mean(losses[-config["eval_every"] :])
            print(
                f"{name}: step {step}, training loss {recent:.3f}, validation loss {curve[-1][1]:.3f}, "
                f"{1000 * np.median(step_seconds):.1f} ms/step",
                flush=True,
            )
    return {"train_losses": losses, "val_curve": curve, "ms_per_step": 1000 * float(np.median(step_seconds))}


def build_model(config, vocab_size):
    """The CharRNN of the lesson, initialised from config["seed"]."""
    manual_seed(config["seed"])
    return CharRNN(vocab_size, config["embedding_dim"], config["hidden_size"], cell="lstm")


def npgrad_steps(model, lr):
    """(train_step, summed_nll) for an npgrad model: cross-entropy on every position."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    vocab_size = model.head.out_features

    def loss(inputs, targets, reduction="mean"):
        logits, _ = model(inputs)
        return nn.functional.cross_entropy(
            logits.reshape(-1, vocab_size), tensor(targets.reshape(-1)), reduction=reduction
        )

    def train_step(inputs, targets):
        optimizer.zero_grad()
        value = loss(inputs, targets)
        value.backward()
        optimizer.step()
        return value.item()

    def summed_nll(inputs, targets):
        with no_grad():
            return loss(inputs, targets, reduction="sum").item()

    return train_step, summed_nll


def write_samples(model, text, length, seed, path):
    """`length` characters after PROMPT at each temperature: printed, saved, returned."""
    samples = {}
    for temperature in TEMPERATURES:
        ids = model.generate(text.encode(PROMPT), length, temperature=temperature, generator=seed)
        samples[temperature] = text.decode(ids)
    with open(path, "w", encoding="utf-8") as f:
        for temperature, sample in samples.items():
            block = f"--- temperature {temperature} ---\n{sample}\n\n"
            print(block, end="")
            f.write(block)
    return samples


def plot_validation(curves, path, title):
    """Validation loss against step, one line per run {label: [(step, loss)]}, each dashed
    differently so that curves on top of each other stay visible."""
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for style, (label, curve) in zip(("-", "--", "-."), curves.items()):
        steps, values = zip(*curve)
        ax.plot(steps, values, style, marker="o", ms=2, label=label)
    ax.axhline(math.log(65), color="gray", ls=":", label="uniform guess, log 65")
    ax.set_xlabel("training step")
    ax.set_ylabel("validation cross-entropy (nats / character)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=100)


def run(out_dir, quick=False):
    config = config_for(quick)
    train_ids, val_ids, text = shakespeare_splits(config["validation_characters"])
    windows = validation_windows(val_ids, config["block_size"])
    model = build_model(config, text.vocab_size)
    result = train_and_validate(*npgrad_steps(model, config["lr"]), train_ids, windows, config)
    final = result["val_curve"][-1][1]
    print(
        f"\nafter {config['steps']} steps: validation loss {final:.4f} nats/character, perplexity "
        f"{perplexity(final):.2f} (uniform: {text.vocab_size}); {result['ms_per_step']:.1f} ms/step\n"
    )
    samples = write_samples(model, text, config["sample_length"], config["seed"], os.path.join(out_dir, "samples.txt"))
    figure = plot_validation(
        {"npgrad LSTM": result["val_curve"]},
        os.path.join(out_dir, "validation_loss.png"),
        f"char-rnn on Tiny Shakespeare: validation loss {final:.3f} after {config['steps']} steps",
    )
    return {
        "config": config,
        "final_val_loss": final,
        "final_val_perplexity": perplexity(final),
        "first_train_loss": result["train_losses"][0],
        "val_curve": result["val_curve"],
        "ms_per_step": result["ms_per_step"],
        "samples": {str(t): s for t, s in samples.items()},
        "figures": [figure],
    }


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/recurrent.py LSTMStepFunction,
  npgrad/textbook/loss.py SoftmaxCrossEntropyFunction
fast ops: npgrad/functional/recurrent.py recurrent_layer (LSTMStep), npgrad/nn/rnn.py LSTM,
  npgrad/functional/loss.py cross_entropy
the model and its sampling: npgrad/models/rnn.py CharRNN, npgrad/text/decoding.py generate and sample_logits
the data: npgrad/datasets/shakespeare.py TinyShakespeare and shakespeare_splits
the page: docs/lessons/char-rnn.md
"""

if __name__ == "__main__":
    main(run)
