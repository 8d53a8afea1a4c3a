"""Remembering the first token: RNN vs LSTM vs GRU vs Transformer by length, and the vanishing gradient.

The task: the first step of a sequence shows one of 4 symbols (one-hot, with a marker that
says "first step"); every later step is Gaussian noise in the same 4 channels. After the last
step the network must name the first symbol, so it has to carry it through all the noise.
Chance is 25 %.

Why a plain RNN cannot learn this for long sequences: the gradient that reaches step t is
dL/dh_t = dL/dh_T prod_{s=t+1..T} W_hh^T diag(1 - h_s^2), a product of T - t matrices that
shrinks (or grows) geometrically, so the first step gets almost none of it. The LSTM's cell
state is updated by addition, c_s = f_s c_{s-1} + i_s g_s, so dc_T/dc_t = prod f_s: it
passes unchanged while the forget gate f stays near 1. Untrained, it does not: PyTorch's
initialisation starts f at about sigmoid(0) = 0.5, which halves the gradient at every step,
so at first the LSTM's gradient vanishes as fast as the RNN's; training opens the gate. The
GRU's h_s = (1 - z_s) n_s + z_s h_{s-1} is the same idea with one gate.

The Transformer has no chain at all: its last position attends to every step directly, so
the path from step 1 to the answer is one attention hop long (path length 1, whatever T is),
and the gradient reaches step 1 as easily as step T. It reads the answer from the last
position, as the recurrent models read their final state (2 pre-norm encoder layers, width
32, 4 heads, sinusoidal positions; Adam lr 0.001, the rate a Transformer of this size trains
at, where the recurrent models use 0.01).

Every model (hidden size 32, gradients clipped to norm 1) trained for length
T sees batches of random lengths between 5 and T (log-uniform, one length a batch), so that
it also meets short sequences, where the first step is close, and is tested at length T.
The gradient of the loss with respect to each step's input, ||dL/dx_t||, at the longest
length, before and after training, shows where the gradient goes.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, no_grad, optim, tensor
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.models import SequenceClassifier
from npgrad.nn import functional as F
from npgrad.train import metrics
from npgrad.utils.progress import progress
from npgrad.lessons import main

SYMBOLS = 4
NOISE = 0.5
HIDDEN = 32
BATCH = 64
TEST_SIZE = 1000
SHORTEST = 5
LR = {"recurrent": 0.01, "transformer": 0.001}
FULL = {"lengths": (5, 10, 20, 50, 100), "steps": 1500}
QUICK = {"lengths": (5, 20), "steps": 150}


def first_symbol_task(rng, n, length):
    """(x (n, length, 1 + SYMBOLS) float32, labels (n,) int64): channel 0 marks the first step,
    which shows the label one-hot; later steps are N(0, NOISE^2) noise in the symbol channels."""
    labels = rng.integers(0, SYMBOLS, n)
    x = np.zeros((n, length, 1 + SYMBOLS), np.float32)
    x[:, 1:, 1:] = NOISE * rng.standard_normal((n, length - 1, SYMBOLS))
    x[:, 0, 0] = 1
    x[np.arange(n), 0, 1 + labels] = 1
    return x, labels


class LastPositionTransformer(nn.Module):
    """x (B, T, input_size) -> logits (B, num_classes): a Linear embeds each step, sinusoidal
    positions are added, a pre-norm Transformer encoder mixes the steps, and a Linear reads the
    last position after a final LayerNorm."""

    def __init__(self, input_size, width, num_classes, layers=2, heads=4, max_len=1000):
        super().__init__()
        self.embed = nn.Linear(input_size, width)
        self.positions = nn.SinusoidalPositionalEncoding(width, max_len, batch_first=True)
        layer = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(width))
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        return self.head(self.encoder(self.positions(self.embed(x)))[:, -1])


def recurrent(cell):
    return lambda: SequenceClassifier(1 + SYMBOLS, HIDDEN, SYMBOLS, cell=cell)


MODELS = {
    "RNN (tanh)": (recurrent("rnn"), "recurrent"),
    "LSTM": (recurrent("lstm"), "recurrent"),
    "GRU": (recurrent("gru"), "recurrent"),
    "Transformer": (lambda: LastPositionTransformer(1 + SYMBOLS, HIDDEN, SYMBOLS), "transformer"),
}


def random_length(rng, longest):
    """A length between SHORTEST and longest, log-uniform: as many 5-10 as 50-100."""
    return int(np.exp(rng.uniform(np.log(SHORTEST), np.log(longest + 1))))


def train(model, lr, longest, steps, rng, bar):
    """Adam on cross-entropy over batches of random lengths up to `longest`; the losses."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x, labels = first_symbol_task(rng, BATCH, random_length(rng, longest))
        optimizer.zero_grad()
        loss = F.cross_entropy(model(tensor(x)), tensor(labels))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        bar.update(1)
    return losses


def accuracy(model, test):
    x, labels = test
    with no_grad():
        return metrics.accuracy(model(tensor(x)), labels)


def input_gradient_norms(model, test):
    """||dL/dx_t|| for t = 1..T, averaged over the test sequences: how much the loss can still
    learn from each step's input. Values below float32's smallest (1.4e-45) become 0."""
    x, labels = test
    inputs = tensor(x, requires_grad=True)
    F.cross_entropy(model(inputs), tensor(labels)).backward()
    return np.linalg.norm(inputs.grad._data.astype(np.float64), axis=2).mean(0)


def measure(name, length, steps, seed, test, bar):
    """Train the model MODELS[name] for `length`: its test accuracy, its first and final
    training losses and its input gradient norms before and after training."""
    build, kind = MODELS[name]
    manual_seed(seed)
    model = build()
    before = input_gradient_norms(model, test)
    losses = train(model, LR[kind], length, steps, np.random.default_rng(seed), bar)
    return {
        "accuracy": accuracy(model, test),
        "grad_before": before,
        "grad_after": input_gradient_norms(model, test),
        "first_loss": losses[0],
        "final_loss": float(np.mean(losses[-20:])),
    }


def first_to_last(norms):
    """How much of the gradient reaches step 1, relative to step T."""
    return float(norms[0] / norms[-1])


def run(out_dir, quick=False):
    settings = QUICK if quick else FULL
    lengths, steps = settings["lengths"], settings["steps"]
    tests = {length: first_symbol_task(np.random.default_rng(10_000 + length), TEST_SIZE, length) for length in lengths}
    bar = progress(
        total=len(MODELS) * len(lengths) * steps, desc=f"{len(MODELS)} models x {len(lengths)} lengths", unit="step"
    )
    runs = {
        name: {length: measure(name, length, steps, seed, tests[length], bar) for length in lengths}
        for seed, name in enumerate(MODELS)
    }
    bar.close()
    print(f"test accuracy after {steps} steps (chance {1 / SYMBOLS:.0%}), by sequence length")
    print(f"{'model':<22}" + "".join(f"{'T=' + str(length):>8}" for length in lengths))
    for name, by_length in runs.items():
        print(f"{name:<22}" + "".join(f"{by_length[length]['accuracy']:>8.1%}" for length in lengths))
    longest = lengths[-1]
    ratios = {
        name: {when: first_to_last(runs[name][longest]["grad_" + when]) for when in ("before", "after")}
        for name in MODELS
    }
    print(f"\n||dL/dx_1|| / ||dL/dx_{longest}|| at T={longest}: how much gradient reaches the first step")
    for name, ratio in ratios.items():
        print(f"{name:<22} untrained {ratio['before']:.1e}   trained {ratio['after']:.1e}")
    figures = [
        plot_accuracy(runs, lengths, os.path.join(out_dir, "accuracy_by_length.png")),
        plot_gradients(runs, longest, os.path.join(out_dir, "input_gradients.png")),
    ]

    def by_length(key):
        return {name: {str(t): r[t][key] for t in lengths} for name, r in runs.items()}

    return {
        "steps": steps,
        "lengths": list(lengths),
        "accuracy": by_length("accuracy"),
        "final_loss": by_length("final_loss"),
        "first_loss": by_length("first_loss"),
        "grad_first_to_last": ratios,
        "input_grad_norms": {
            name: {when: runs[name][longest]["grad_" + when].tolist() for when in ("before", "after")}
            for name in MODELS
        },
        "figures": figures,
    }


def plot_accuracy(runs, lengths, path):
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for (style, marker), (name, by_length) in zip((("-", "o"), ("--", "s"), ("-.", "^"), (":", "D")), runs.items()):
        ax.plot(lengths, [by_length[t]["accuracy"] for t in lengths], style, marker=marker, label=name)
    ax.axhline(1 / SYMBOLS, color="gray", ls=":", label="chance")
    ax.set_xscale("log")
    ax.set_xticks(lengths, [str(t) for t in lengths])
    ax.set_xlabel("sequence length T (the answer is at step 1)")
    ax.set_ylabel("test accuracy")
    ax.set_title("Remembering the first symbol through T - 1 noisy steps", fontsize=10)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=100)


def plot_gradients(runs, length, path):
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    steps = np.arange(1, length + 1)
    for ax, when in zip(axes, ("before", "after")):
        for name in runs:
            ax.semilogy(steps, runs[name][length]["grad_" + when], label=name)
        ax.set_xlabel(f"step t of {length} (the answer is at t = 1)")
        ax.set_title(
            f"{'untrained' if when == 'before' else 'trained'}: gradient reaching each step's input", fontsize=10
        )
    axes[0].set_ylabel("||dL/dx_t||")
    axes[1].legend(fontsize=8)
    return save_figure(fig, path, dpi=100)


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/recurrent.py RNNStepFunction, LSTMStepFunction
  and GRUStepFunction, npgrad/textbook/attention.py AttentionFunction
fast ops: npgrad/functional/recurrent.py recurrent_layer (RNNTanhStep, LSTMStep, GRUStep) and
  RecurrenceFunction (backpropagation through time), npgrad/nn/rnn.py RNN, LSTM and GRU,
  npgrad/nn/transformer.py TransformerEncoderLayer and SinusoidalPositionalEncoding
the models: npgrad/models/rnn.py SequenceClassifier
the page: docs/lessons/long-dependencies.md
"""

if __name__ == "__main__":
    main(run)
