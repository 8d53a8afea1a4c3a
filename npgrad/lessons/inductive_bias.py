"""MLP vs CNN vs ViT on 1,000 / 10,000 / 60,000 MNIST images: what built-in assumptions buy.

Inductive bias. An MLP, a CNN and a Vision Transformer learn MNIST from 1,000,
10,000 and all 60,000 training images.

Each model assumes something different about images before it sees one:
  MLP   nothing: every pixel is a separate input, and a digit moved by one pixel is a new
        pattern to learn
  CNN   locality and translation equivariance: small filters slide over the image, so a
        stroke detector learned in one place works everywhere (LeNet-5, ReLU and max pooling)
  ViT   almost nothing beyond 7x7 patches: attention lets any patch read any other, and which
        patches belong together, and where they are, must be learned from the data
The less a model assumes, the more data it needs; what it assumes is right for images, so the
CNN wins with little data, and the ViT, which starts furthest behind, gains the most from more.

Every model trains with Adam (lr 1e-3, cosine decay over the run) on batches of 128, on the
first n images of one seeded shuffle of the training set, standardised with their own mean
and standard deviation; fewer images train for more epochs (EPOCHS), and all are tested on
the 10,000 test images after the last epoch (no model selection).
"""

import os
import time

import numpy as np

from npgrad import manual_seed, models, nn, optim
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.datasets import MNIST
from npgrad.train import ProgressBar, Trainer
from npgrad.train.classifier import loader
from npgrad.lessons import main

MODELS = ("mlp", "lenet5", "vit")
LABELS = {"mlp": "MLP", "lenet5": "CNN", "vit": "ViT"}
FULL = {"sizes": (1_000, 10_000, 60_000), "epochs": {1_000: 40, 10_000: 8, 60_000: 3}, "test_limit": None, "vit": {}}
QUICK = {"sizes": (500, 5_000), "epochs": {500: 20, 5_000: 2}, "test_limit": 500, "vit": {"depth": 2}}
BATCH = 128
LR = 1e-3


def mnist_subsets(sizes, test_limit, seed=0):
    """{n: (x, y)} for each training size n, the first n of one seeded shuffle (so each subset
    holds the smaller ones), standardised with their own statistics, and the raw test arrays."""
    x, y = MNIST(train=True).arrays()
    order = np.random.default_rng(seed).permutation(len(x))
    x_test, y_test = (part[:test_limit] for part in MNIST(train=False).arrays())
    subsets = {}
    for n in sizes:
        part = order[:n]
        mean, std = float(x[part].mean()), float(x[part].std())
        subsets[n] = ((x[part] - mean) / std, y[part]), ((x_test - mean) / std, y_test)
    return subsets


def train_and_test(name, train, test, epochs, options, seed=0):
    """One model (the zoo's `name`, built with `options`) trained from seed on `train` for
    `epochs`; its test accuracy, final training loss, parameters and seconds."""
    manual_seed(seed)
    model = models.create(name, in_shape=(1, 28, 28), num_classes=10, **options)
    optimizer = optim.Adam(model.parameters(), lr=LR)
    trainer = Trainer(
        model,
        optimizer,
        nn.CrossEntropyLoss(),
        metrics=["accuracy"],
        scheduler=optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs),
        callbacks=[ProgressBar()],
    )
    started = time.perf_counter()
    history = trainer.fit(loader(train, BATCH, True, seed), None, epochs).history
    seconds = time.perf_counter() - started
    return {
        "test_accuracy": trainer.evaluate(loader(test, 1000))["accuracy"],
        "final_train_loss": history["loss"][-1],
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs": epochs,
        "seconds": seconds,
    }


def print_table(results, sizes):
    print(f"\nMNIST test accuracy by number of training images (Adam {LR:g}, batch {BATCH})")
    print(f"{'model':<6}{'parameters':>12}" + "".join(f"{n:>10,}" for n in sizes))
    for name in MODELS:
        row = results[name]
        print(
            f"{LABELS[name]:<6}{row[sizes[0]]['parameters']:>12,}"
            + "".join(f"{row[n]['test_accuracy']:>10.2%}" for n in sizes)
        )
    print(f"{'epochs':<18}" + "".join(f"{results[MODELS[0]][n]['epochs']:>10}" for n in sizes))
    gaps = ", ".join(
        f"{n:,}: {results['lenet5'][n]['test_accuracy'] - results['vit'][n]['test_accuracy']:.1%}" for n in sizes
    )
    print(f"CNN - ViT by training images: {gaps}")


def plot_accuracy(results, sizes, path):
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for (style, marker), name in zip((("-", "o"), ("--", "s"), ("-.", "^")), MODELS):
        accuracy = [100 * results[name][n]["test_accuracy"] for n in sizes]
        ax.plot(sizes, accuracy, style, marker=marker, label=LABELS[name])
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.set_xlabel("training images")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("MNIST: the CNN's built-in assumptions pay off most with little data", fontsize=10)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=100)


def run(out_dir, quick=False):
    settings = QUICK if quick else FULL
    sizes = settings["sizes"]
    subsets = mnist_subsets(sizes, settings["test_limit"])
    results = {name: {} for name in MODELS}
    for n in sizes:
        for name in MODELS:
            print(f"{LABELS[name]} on {n:,} images, {settings['epochs'][n]} epochs", flush=True)
            options = settings["vit"] if name == "vit" else {}
            results[name][n] = train_and_test(name, *subsets[n], settings["epochs"][n], options)
    print_table(results, sizes)
    figure = plot_accuracy(results, sizes, os.path.join(out_dir, "accuracy_by_data.png"))
    return {
        "sizes": list(sizes),
        "results": {LABELS[name]: {str(n): row for n, row in by_size.items()} for name, by_size in results.items()},
        "figures": [figure],
    }


READ_NEXT = """
the models: npgrad/models/mlp.py mlp, npgrad/models/lenet.py lenet5, npgrad/models/vit.py ViT
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dIm2colFunction,
  npgrad/textbook/attention.py AttentionFunction, npgrad/textbook/normalization.py LayerNormFunction
fast ops: npgrad/functional/conv.py conv2d, npgrad/functional/attention.py scaled_dot_product_attention
training: npgrad/train/trainer.py Trainer, npgrad/optim/lr_scheduler.py CosineAnnealingLR
the page: docs/lessons/inductive-bias.md
"""

if __name__ == "__main__":
    main(run)
