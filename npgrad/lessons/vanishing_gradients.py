"""Per-layer gradient norms of a deep sigmoid MLP vs ReLU.

Gradients vanish through a deep sigmoid network and flow through a ReLU one.

Backpropagation multiplies the gradient by each layer's W^T and by the activation's
derivative. The sigmoid's derivative is at most 1/4, so across ten layers the gradient that
reaches the first layer shrinks by orders of magnitude and the early layers barely learn;
ReLU's derivative is 1 where the unit is active, so the gradient keeps its size.
Both 10-layer MLPs (128 units; each with the initialisation made for its activation: Xavier
for sigmoid, He for ReLU) train on the same MNIST batches with the same SGD;
npgrad.analysis.grad_norms(model) measures the gradient at every layer.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, optim, tensor
from npgrad.analysis.gradients import grad_norms
from npgrad.analysis.plots import plot_curves, pyplot_or_none, save_figure
from npgrad.datasets import MNIST
from npgrad.lessons import main
from npgrad.nn import functional as F
from npgrad.utils.progress import progress

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}
INITS = {"sigmoid": nn.init.xavier_normal_, "relu": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")}


def deep_mlp(activation, depth, width=128):
    layers, features = [], 784
    for _ in range(depth):
        linear = nn.Linear(features, width)
        INITS[activation](linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, ACTIVATIONS[activation]()]
        features = width
    return nn.Sequential(*layers, nn.Linear(width, 10))


def batches(x, y, batch_size, steps, seed=0):
    order = np.random.default_rng(seed).permutation(len(x))
    for step in range(steps):
        index = order[(step * batch_size) % len(x) :][:batch_size]
        yield tensor(x[index]), tensor(y[index])


def train(activation, x, y, depth, steps, batch_size=128, lr=0.05):
    """SGD on cross-entropy; returns per-layer gradient norms at the first step and the losses."""
    manual_seed(0)
    model = deep_mlp(activation, depth)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses, first_norms = [], None
    for inputs, targets in progress(batches(x, y, batch_size, steps), total=steps, desc=activation, unit="step"):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        if first_norms is None:
            first_norms = grad_norms(model)
        optimizer.step()
        losses.append(loss.item())
    return first_norms, losses


def run(out_dir, quick=False):
    depth, steps = (6, 60) if quick else (10, 600)
    x, y = MNIST(train=True).arrays(flatten=True)
    results = {a: train(a, x, y, depth, steps) for a in ACTIVATIONS}
    norms = {a: list(results[a][0].values()) for a in ACTIVATIONS}
    print(f"{'layer':<6} " + " ".join(f"{a + ' grad norm':>18}" for a in ACTIVATIONS))
    for layer in range(depth + 1):
        print(f"{layer + 1:<6} " + " ".join(f"{norms[a][layer]:>18.3e}" for a in ACTIVATIONS))
    shrink = {a: norms[a][0] / norms[a][-1] for a in ACTIVATIONS}
    print("\nfirst-layer / last-layer gradient norm: " + ", ".join(f"{a} {shrink[a]:.2e}" for a in ACTIVATIONS))
    final = {a: float(np.mean(results[a][1][-20:])) for a in ACTIVATIONS}
    print(f"training loss after {steps} steps: " + ", ".join(f"{a} {final[a]:.3f}" for a in ACTIVATIONS))
    figures = write_figures(out_dir, norms, {a: results[a][1] for a in ACTIVATIONS})
    return {
        "depth": depth,
        "steps": steps,
        "grad_norms_at_init": norms,
        "first_to_last_ratio": shrink,
        "final_train_loss": final,
        "figures": figures,
    }


def write_figures(out_dir, norms, losses):
    plt = pyplot_or_none()
    if plt is None:
        return []
    fig, ax = plt.subplots(figsize=(6, 4))
    for activation, values in norms.items():
        ax.semilogy(np.arange(1, len(values) + 1), values, marker="o", label=activation)
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("gradient norm of the weights")
    ax.set_title("Gradient reaching each layer, first step")
    ax.legend()
    norms_path = save_figure(fig, os.path.join(out_dir, "grad_norms.png"))
    loss_path = plot_curves(
        losses,
        os.path.join(out_dir, "loss.png"),
        ylabel="training cross-entropy",
        title="Deep MLP on MNIST: sigmoid vs ReLU",
    )
    return [norms_path, loss_path]


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/activation.py SigmoidFunction and ReLUFunction,
    npgrad/textbook/linear.py LinearFunction (backward: delta = diag(f'(q)) W^T delta_1)
fast ops: npgrad/functional/activation.py sigmoid and relu, npgrad/functional/linalg.py linear
measuring: npgrad/analysis/gradients.py grad_norms
the page: docs/lessons/vanishing-gradients.md
"""

if __name__ == "__main__":
    main(run)
