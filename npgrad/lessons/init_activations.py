"""Activation histograms per layer for four initialisations and three activations.

How weight initialisation shapes the activations of a deep network.

A 10-layer MLP (256 units a layer) sees 1,000 real MNIST digits, standardised, with no
training. With weights drawn from N(0, 1) every unit receives a sum of 256 terms of variance
~1, so pre-activations have std ~16: tanh and sigmoid saturate, ReLU outputs grow layer after
layer. With std 0.01 they shrink towards zero instead. Xavier (std = sqrt(2 / (fan_in +
fan_out))) keeps the variance of tanh layers steady; He (std = sqrt(2 / fan_in)) does the same
for ReLU, whose output keeps only half the variance.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, no_grad, tensor
from npgrad.analysis.gradients import activation_recorder
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.datasets import MNIST
from npgrad.lessons import main

INITS = {
    "N(0,1)": lambda w: nn.init.normal_(w, 0.0, 1.0),
    "std 0.01": lambda w: nn.init.normal_(w, 0.0, 0.01),
    "Xavier": nn.init.xavier_normal_,
    "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}
ACTIVATIONS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}


def deep_mlp(activation, init, depth, width=256, in_features=784):
    layers = []
    for i in range(depth):
        linear = nn.Linear(in_features if i == 0 else width, width)
        INITS[init](linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, ACTIVATIONS[activation]()]
    return nn.Sequential(*layers)


def standardised_digits(count):
    x, _ = MNIST(train=False).arrays(flatten=True)
    x = x[:count]
    return (x - x.mean()) / x.std()


def saturation(activation, values):
    """Share of units stuck where the derivative is ~0 (tanh/sigmoid) or exactly 0 (ReLU)."""
    if activation == "tanh":
        return float(np.mean(np.abs(values) > 0.99))
    if activation == "sigmoid":
        return float(np.mean((values < 0.01) | (values > 0.99)))
    return float(np.mean(values == 0))


@no_grad()
def layer_activations(activation, init, inputs, depth):
    manual_seed(0)
    model = deep_mlp(activation, init, depth)
    acts = [(name, m) for name, m in model.named_children() if isinstance(m, ACTIVATIONS[activation])]
    outputs, handles = activation_recorder(acts)
    model(tensor(inputs))
    for handle in handles:
        handle.remove()
    return list(outputs.values())


def run(out_dir, quick=False):
    depth, count = (5, 200) if quick else (10, 1000)
    inputs = standardised_digits(count)
    rows, histograms = [], {}
    for activation in ACTIVATIONS:
        for init in INITS:
            acts = layer_activations(activation, init, inputs, depth)
            histograms[activation, init] = acts
            rows.append(
                {
                    "activation": activation,
                    "init": init,
                    "std_per_layer": [float(a.std()) for a in acts],
                    "saturated_last_layer": saturation(activation, acts[-1]),
                }
            )
    print_table(rows, depth)
    figures = write_figures(out_dir, histograms, depth)
    return {"depth": depth, "inputs": count, "rows": rows, "figures": figures}


def print_table(rows, depth):
    shown = sorted({0, depth // 2, depth - 1})
    header = " ".join(f"{f'std L{i + 1}':>10}" for i in shown)
    print(f"{'activation':<10} {'init':<9} {header} {'saturated/dead at last layer':>29}")
    for r in rows:
        stds = " ".join(f"{r['std_per_layer'][i]:>10.3g}" for i in shown)
        print(f"{r['activation']:<10} {r['init']:<9} {stds} {r['saturated_last_layer']:>29.1%}")


def write_figures(out_dir, histograms, depth):
    plt = pyplot_or_none()
    if plt is None:
        return []
    shown = sorted({0, 1, depth // 2, depth - 1})
    paths = []
    for activation in ACTIVATIONS:
        fig, axes = plt.subplots(len(INITS), len(shown), figsize=(2.6 * len(shown), 2.0 * len(INITS)), squeeze=False)
        for row, init in enumerate(INITS):
            for col, layer in enumerate(shown):
                values = histograms[activation, init][layer].ravel()
                ax = axes[row, col]
                ax.hist(values, bins=50, color="#3d85c6")
                ax.set_yticks([])
                ax.set_title(f"{init}, layer {layer + 1}: std {values.std():.2g}", fontsize=8)
        fig.suptitle(f"{activation}: activations per layer", fontsize=10)
        paths.append(save_figure(fig, os.path.join(out_dir, f"activations_{activation}.png"), dpi=110))
    return paths


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/activation.py SigmoidFunction, TanhFunction and ReLUFunction
fast ops: npgrad/functional/activation.py sigmoid, tanh and relu
initialisations: npgrad/nn/init.py normal_, xavier_normal_ and kaiming_normal_
measuring: npgrad/analysis/gradients.py activation_recorder
the page: docs/lessons/init-activations.md
"""

if __name__ == "__main__":
    main(run)
