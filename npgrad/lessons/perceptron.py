"""Perceptrons on AND/OR/XOR, and an MLP that solves XOR.

The perceptron learns AND and OR but not XOR; one hidden layer fixes that.

Three models per gate, each trained full-batch on the four rows of the truth table:
  perceptron  a single linear unit with a step output, trained by Rosenblatt's rule
              w <- w + lr * X^T (y - step(Xw + b))
  logistic    a single linear unit with a sigmoid output, trained by gradient descent on
              binary cross-entropy (what nn.Linear + SGD gives)
  MLP 2-4-1   a hidden layer of four tanh units, trained the same way by backpropagation
A single unit draws one straight line, and no line puts (0,1), (1,0) on one side and (0,0),
(1,1) on the other, so it gets at most 3 of the 4 XOR rows right: 75 %.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, no_grad, optim, tensor
from npgrad.analysis.plots import plot_curves, plot_decision_boundaries, pyplot_or_none
from npgrad.datasets import truth_table
from npgrad.lessons import main
from npgrad.nn import functional as F
from npgrad.utils.progress import progress

GATES = ("AND", "OR", "XOR")


def accuracy(scores, targets):
    """Fraction of rows where (score > 0.5) equals the 0/1 target."""
    return float(np.mean((np.asarray(scores) > 0.5) == (targets.numpy() > 0.5)))


def train_perceptron_rule(inputs, targets, steps, lr=0.1):
    """Rosenblatt's rule on the whole table at once: the weights move only on mistakes."""
    unit = nn.Linear(2, 1)
    accuracies = []
    with no_grad():
        for _ in range(steps):
            fired = (unit(inputs).reshape(-1) > 0).float()
            error = targets - fired  # +1, 0 or -1 per row
            unit.weight.add_((error @ inputs).reshape(1, 2), alpha=lr)  # w += lr X^T (y - y_hat)
            unit.bias.add_(error.sum().reshape(1), alpha=lr)
            accuracies.append(accuracy(step_output(unit, inputs.numpy()), targets))
    return (lambda points: step_output(unit, points)), accuracies


@no_grad()
def step_output(unit, points):
    """The perceptron's answer, 1.0 where w.x + b > 0 and 0.0 elsewhere."""
    return (unit(tensor(points)).reshape(-1).numpy() > 0).astype(np.float32)


@no_grad()
def sigmoid_output(model, points):
    return model(tensor(points)).reshape(-1).sigmoid().numpy()


def train_by_gradient(model, inputs, targets, steps, lr, momentum=0.0):
    """Gradient descent on binary cross-entropy with logits; returns predict and accuracy per step."""
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    accuracies, losses = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        logits = model(inputs).reshape(-1)
        loss = F.binary_cross_entropy_with_logits(logits, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        accuracies.append(accuracy(sigmoid_output(model, inputs.numpy()), targets))
    return (lambda points: sigmoid_output(model, points)), accuracies, losses


def make_model(kind):
    if kind == "MLP 2-4-1":
        return nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    return nn.Linear(2, 1)


def train(kind, gate, seed, steps):
    """One run; returns predict, per-step accuracy and per-step loss (None for the rule)."""
    manual_seed(seed)
    inputs, targets = truth_table(gate)
    if kind == "perceptron":
        predict, accuracies = train_perceptron_rule(inputs, targets, steps)
        return predict, accuracies, None
    lr, momentum = (0.5, 0.9) if kind == "MLP 2-4-1" else (1.0, 0.0)
    return train_by_gradient(make_model(kind), inputs, targets, steps, lr, momentum)


def steps_to_solve(accuracies):
    """The first step at which every row is right, or None."""
    return next((i + 1 for i, a in enumerate(accuracies) if a == 1.0), None)


def best_linear_xor_accuracy(grid_points=41, limit=3.0):
    """Try every line w1 x1 + w2 x2 + b = 0 on a grid of weights: the best XOR accuracy."""
    axis = np.linspace(-limit, limit, grid_points, dtype=np.float32)
    w1, w2, b = (g.ravel() for g in np.meshgrid(axis, axis, axis))
    inputs, targets = (t.numpy() for t in truth_table("XOR"))
    fired = (np.outer(w1, inputs[:, 0]) + np.outer(w2, inputs[:, 1]) + b[:, None]) > 0
    return float(((fired == (targets > 0.5)).mean(axis=1)).max()), w1.size


MODELS = ("perceptron", "logistic", "MLP 2-4-1")


def run(out_dir, quick=False):
    steps, restarts = (200, 3) if quick else (500, 10)
    rows, panels, curves = [], [], {}
    bar = progress(total=len(GATES) * len(MODELS) * restarts, desc="training", unit="model")
    for gate in GATES:
        for kind in MODELS:
            runs = [train(kind, gate, seed, steps) for seed in range(restarts)]
            bar.update(restarts)
            predict, accuracies, losses = runs[0]
            rows.append(
                {
                    "gate": gate,
                    "model": kind,
                    "accuracy": accuracies[-1],
                    "steps": steps_to_solve(accuracies),
                    "best_of_restarts": max(max(r[1]) for r in runs),
                }
            )
            inputs, targets = truth_table(gate)
            panels.append((f"{gate} - {kind}: {accuracies[-1]:.0%}", predict, inputs.numpy(), targets.numpy()))
            if gate == "XOR" and losses is not None:
                curves[kind] = losses
    bar.close()
    grid_best, grid_size = best_linear_xor_accuracy()
    print_table(rows, restarts, steps)
    print(f"\nEvery one of {grid_size:,} lines on a weight grid: best XOR accuracy {grid_best:.0%}.")
    figures = write_figures(out_dir, panels, curves)
    return {
        "rows": rows,
        "restarts": restarts,
        "steps": steps,
        "best_linear_xor_accuracy_on_grid": grid_best,
        "figures": figures,
    }


def print_table(rows, restarts, steps):
    print(f"{'gate':<5} {'model':<11} {'accuracy':>8} {'steps to 100%':>14} {f'best of {restarts} seeds':>17}")
    for r in rows:
        solved = str(r["steps"]) if r["steps"] else f"never ({steps})"
        print(f"{r['gate']:<5} {r['model']:<11} {r['accuracy']:>8.0%} {solved:>14} {r['best_of_restarts']:>17.0%}")


def write_figures(out_dir, panels, curves):
    if pyplot_or_none() is None:
        return []
    boundaries = plot_decision_boundaries(panels, os.path.join(out_dir, "decision_boundaries.png"), columns=len(MODELS))
    losses = plot_curves(
        curves,
        os.path.join(out_dir, "xor_loss.png"),
        ylabel="binary cross-entropy",
        title="XOR: a single unit stalls at log(2), the MLP goes to 0",
        logy=True,
    )
    return [boundaries, losses]


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/linear.py LinearFunction,
    npgrad/textbook/activation.py SigmoidFunction and TanhFunction
fast ops: npgrad/functional/linalg.py linear, npgrad/functional/activation.py sigmoid and tanh,
    npgrad/functional/loss.py binary_cross_entropy_with_logits, npgrad/optim/sgd.py SGD
the page: docs/lessons/perceptron.md
"""

if __name__ == "__main__":
    main(run)
