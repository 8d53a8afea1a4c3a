"""One-to-one, one-to-many, many-to-one, many-to-many RNNs on small generated tasks.

- one to one: a single step. With h0 = 0, h = tanh(W_ih x + b): a one-hidden-layer network,
  and the recurrent weight W_hh gets no gradient at all. Task: is |x| > 1?
- one to many: one input, a sequence out. The phase of a sine wave sets the start state, and
  the GRU writes the wave one value at a time, reading back the value it wrote last
  (autoregressive generation; trained with the true previous value, "teacher forcing").
- many to one: a sequence in, one answer out, read from the final state. Task: is the sum of
  a noisy sequence positive? The sequences have 5 to 20 steps, padded, with lengths=.
- many to many: an output at every step. Task: is the running sum positive so far?

Each model trains briefly (Adam, lr 0.01) on fresh random batches; the table shows the score
of the untrained and the trained model on a held-out set, the figure one panel per mode.
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

HIDDEN = 32
BATCH = 64
TEST_SIZE = 1000
LR = 0.01
WAVE_STEPS = 40
WAVE_OMEGA = 2 * np.pi / 20  # a period of 20 steps
MAX_LENGTH = 20


# ----------------------------------------------------------------------------- the tasks
def absolute_above_one(rng, n):
    """x ~ U(-2, 2) as a sequence of one step, (n, 1, 1); label |x| > 1."""
    x = rng.uniform(-2, 2, (n, 1, 1)).astype(np.float32)
    return (x,), (np.abs(x[:, 0, 0]) > 1).astype(np.int64)


def sine_waves(rng, n):
    """Inputs: the phase as (cos, sin), (n, 2), and the previous value at every step (0 before
    the first), (n, WAVE_STEPS); target: the wave sin(phase + omega k), k < WAVE_STEPS."""
    phase = rng.uniform(0, 2 * np.pi, n)
    waves = np.sin(phase[:, None] + WAVE_OMEGA * np.arange(WAVE_STEPS)).astype(np.float32)
    previous = np.pad(waves[:, :-1], ((0, 0), (1, 0)))
    return (np.stack([np.cos(phase), np.sin(phase)], 1).astype(np.float32), previous), waves


def noisy_sums(rng, n):
    """Sequences of 5 to MAX_LENGTH N(0, 1) values, zero-padded, (n, MAX_LENGTH, 1), and their
    lengths; label: their sum is positive."""
    lengths = rng.integers(5, MAX_LENGTH + 1, n)
    x = rng.standard_normal((n, MAX_LENGTH)) * (np.arange(MAX_LENGTH) < lengths[:, None])
    return (x[..., None].astype(np.float32), lengths), (x.sum(1) > 0).astype(np.int64)


def running_sums(rng, n):
    """Sequences of MAX_LENGTH N(0, 1) values, (n, MAX_LENGTH, 1); label at every step: the
    sum so far is positive, (n, MAX_LENGTH)."""
    x = rng.standard_normal((n, MAX_LENGTH)).astype(np.float32)
    return (x[..., None],), (np.cumsum(x, 1) > 0).astype(np.int64)


# ----------------------------------------------------------------------------- the models
class WaveWriter(nn.Module):
    """One to many: the phase (cos, sin) sets h0 = tanh(W p + b); then at every step the GRU
    reads the previous value of the wave (0 at the start) and a Linear writes the next."""

    def __init__(self, hidden_size=HIDDEN):
        super().__init__()
        self.start = nn.Linear(2, hidden_size)
        self.rnn = nn.GRU(1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def initial_state(self, phase):
        return self.start(tensor(phase)).tanh().unsqueeze(0)  # (layers=1, B, H)

    def forward(self, phase, previous_values):
        """Teacher forcing: previous_values (B, T) are the true wave moved one step on."""
        output, _ = self.rnn(tensor(previous_values).unsqueeze(-1), self.initial_state(phase))
        return self.head(output).squeeze(-1)

    def generate(self, phase, steps):
        """The wave written from the phase alone, each value fed back as the next input: (B, steps)."""
        with no_grad():
            state = self.initial_state(phase)
            value = tensor(np.zeros((len(phase), 1, 1), np.float32))
            values = []
            for _ in range(steps):
                output, state = self.rnn(value, state)
                value = self.head(output)
                values.append(value._data[:, 0, 0])
        return np.stack(values, 1)


class StepTagger(nn.Module):
    """Many to many: a GRU over (B, T, 1) and a Linear on every step's output: logits (B, T, 2)."""

    def __init__(self, hidden_size=HIDDEN):
        super().__init__()
        self.rnn = nn.GRU(1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 2)

    def forward(self, x):
        output, _ = self.rnn(tensor(x))
        return self.head(output)


def classify(model):
    """A SequenceClassifier called with arrays (x and, if given, lengths)."""
    return lambda x, lengths=None: model(tensor(x), lengths=lengths)


# ----------------------------------------------------------------------------- training
def cross_entropy(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tensor(labels.reshape(-1)))


def mse(predictions, targets):
    return F.mse_loss(predictions, tensor(targets))


def accuracy(predict, inputs, labels):
    """The fraction of labels predicted right, over every sample (and every step)."""
    with no_grad():
        logits = predict(*inputs)
    return metrics.accuracy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def fit(model, forward, loss, task, steps, rng):
    """Adam on loss(forward(*inputs), targets) over `steps` fresh batches of `task`; the losses."""
    optimizer = optim.Adam(model.parameters(), lr=LR)
    losses = []
    for _ in progress(range(steps), desc=task.__name__, unit="step"):
        inputs, targets = task(rng, BATCH)
        optimizer.zero_grad()
        value = loss(forward(*inputs), targets)
        value.backward()
        optimizer.step()
        losses.append(value.item())
    return losses


# ----------------------------------------------------------------------------- the four modes
def one_to_one(steps, rng, test):
    model = SequenceClassifier(1, HIDDEN, 2, cell="rnn")
    predict = classify(model)
    before = accuracy(predict, *test)
    losses = fit(model, predict, cross_entropy, absolute_above_one, steps, rng)
    recurrent_grad = float(np.abs(model.rnn.weight_hh_l0.grad._data).max())
    grid = np.linspace(-2, 2, 201, dtype=np.float32)
    with no_grad():
        probability = F.softmax(predict(grid[:, None, None]), dim=1)._data[:, 1]
    row = {
        "mode": "one to one",
        "task": "|x| > 1 ?",
        "shapes": "(B, 1, 1) -> (B, 2)",
        "metric": "accuracy",
        "before": before,
        "after": accuracy(predict, *test),
        "max_abs_grad_weight_hh": recurrent_grad,
    }
    return row, losses, {"x": grid, "probability": probability}


def one_to_many(steps, rng, test):
    model = WaveWriter()
    (phase, previous), waves = test
    before = float(np.mean((model.generate(phase, WAVE_STEPS) - waves) ** 2))
    losses = fit(model, model, mse, sine_waves, steps, rng)
    written = model.generate(phase, WAVE_STEPS)
    with no_grad():
        forced = mse(model(phase, previous), waves).item()
    row = {
        "mode": "one to many",
        "task": "sine wave from its phase",
        "shapes": "(B, 2) -> (B, 40)",
        "metric": "MSE, generated",
        "before": before,
        "after": float(np.mean((written - waves) ** 2)),
        "teacher_forced_mse": forced,
    }
    return row, losses, {"true": waves[:3], "written": written[:3]}


def many_to_one(steps, rng, test):
    model = SequenceClassifier(1, HIDDEN, 2, cell="gru")
    predict = classify(model)
    before = accuracy(predict, *test)
    losses = fit(model, predict, cross_entropy, noisy_sums, steps, rng)
    (x, lengths), _ = test
    with no_grad():
        probability = F.softmax(predict(x, lengths), dim=1)._data[:, 1]
    row = {
        "mode": "many to one",
        "task": "sum of 5-20 values > 0 ?",
        "shapes": "(B, <=20, 1) -> (B, 2)",
        "metric": "accuracy",
        "before": before,
        "after": accuracy(predict, *test),
    }
    return row, losses, {"sum": x.sum((1, 2)), "probability": probability}


def many_to_many(steps, rng, test):
    model = StepTagger()
    before = accuracy(model, *test)
    losses = fit(model, model, cross_entropy, running_sums, steps, rng)
    (x,), labels = test
    with no_grad():
        probability = F.softmax(model(x[:1]), dim=2)._data[0, :, 1]
    row = {
        "mode": "many to many",
        "task": "running sum > 0 ? (every step)",
        "shapes": "(B, 20, 1) -> (B, 20, 2)",
        "metric": "accuracy per step",
        "before": before,
        "after": accuracy(model, *test),
    }
    return row, losses, {"running_sum": np.cumsum(x[0, :, 0]), "probability": probability}


MODES = [
    (one_to_one, absolute_above_one),
    (one_to_many, sine_waves),
    (many_to_one, noisy_sums),
    (many_to_many, running_sums),
]


def run(out_dir, quick=False):
    steps = 100 if quick else 600
    rows, losses, panels = [], {}, []
    for index, (mode, task) in enumerate(MODES):
        manual_seed(index)
        test = task(np.random.default_rng(1000 + index), TEST_SIZE)
        row, curve, panel = mode(steps, np.random.default_rng(index), test)
        rows.append(row)
        losses[row["mode"]] = curve
        panels.append(panel)
    print(f"{'mode':<13} {'task':<32} {'shapes':<26} {'metric':<18} {'untrained':>10} {'trained':>10}")
    for row in rows:
        print(
            f"{row['mode']:<13} {row['task']:<32} {row['shapes']:<26} {row['metric']:<18} "
            f"{row['before']:>10.3g} {row['after']:>10.3g}"
        )
    print(
        f"\none to one: largest |dL/dW_hh| = {rows[0]['max_abs_grad_weight_hh']} (h0 = 0, so W_hh h0 = 0); "
        f"one to many: MSE {rows[1]['teacher_forced_mse']:.2g} when fed the true previous values"
    )
    figure = plot_modes(rows, panels, os.path.join(out_dir, "rnn_modes.png"))
    return {
        "steps": steps,
        "rows": rows,
        "first_losses": {m: c[:5] for m, c in losses.items()},
        "last_losses": {m: float(np.mean(c[-10:])) for m, c in losses.items()},
        "figures": [figure],
    }


def plot_modes(rows, panels, path):
    """One panel per mode, each showing what its trained model does."""
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    one, wave, total, running = panels
    ax = axes[0, 0]
    ax.plot(one["x"], one["probability"], label="P(|x| > 1)")
    ax.plot(one["x"], np.abs(one["x"]) > 1, "k:", label="truth")
    ax.set_xlabel("x")
    ax = axes[0, 1]
    for k in range(len(wave["true"])):
        (line,) = ax.plot(wave["true"][k], ":")
        ax.plot(wave["written"][k], color=line.get_color())
    ax.set_xlabel("step (dotted: true wave, solid: written by the GRU)")
    ax = axes[1, 0]
    ax.scatter(total["sum"], total["probability"], s=4)
    ax.set_xlabel("sum of the sequence")
    ax.set_ylabel("P(sum > 0)")
    ax = axes[1, 1]
    steps = np.arange(1, len(running["running_sum"]) + 1)
    ax.plot(steps, running["running_sum"], marker="o", ms=3, label="running sum")
    ax.bar(steps, running["probability"], alpha=0.3, color="tab:orange", label="P(running sum > 0)")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("step")
    for ax, row in zip(axes.ravel(), rows):
        ax.set_title(f"{row['mode']}: {row['task']}\n{row['metric']} {row['after']:.3g}", fontsize=9)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=100)


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/recurrent.py RNNStepFunction and GRUStepFunction
fast ops: npgrad/functional/recurrent.py recurrent_layer (RNNTanhStep, GRUStep), npgrad/nn/rnn.py RNN and GRU
the models: npgrad/models/rnn.py SequenceClassifier (the final state of each sequence, lengths=)
the page: docs/lessons/rnn-modes.md
"""

if __name__ == "__main__":
    main(run)
