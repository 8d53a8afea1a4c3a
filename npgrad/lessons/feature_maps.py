"""Learned first-layer filters and one digit's feature maps, as PNG grids.

What a CNN's filters learn, and the feature maps they make of one digit.

A small CNN (conv 8@5x5 - ReLU - max pool - conv 16@5x5 - ReLU - max pool - linear) trains
briefly on MNIST. Its first-layer filters become stroke and edge detectors; applied to one test
digit, each filter gives a feature map that lights up where its pattern occurs. The second
layer's maps, at half the resolution, combine those strokes into larger parts.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, optim, tensor
from npgrad.analysis.gradients import activation_recorder
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.autograd import no_grad
from npgrad.lessons import main
from npgrad.train.classifier import fit, load_data


def small_cnn(num_classes=10):
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, num_classes),
    )


@no_grad()
def feature_maps(model, image):
    """The ReLU outputs of both conv layers for one image: arrays (8, 28, 28) and (16, 14, 14)."""
    relus = [(name, m) for name, m in model.named_children() if isinstance(m, nn.ReLU)]
    outputs, handles = activation_recorder(relus)
    model.eval()
    model(tensor(image[None]))
    for handle in handles:
        handle.remove()
    return [maps[0] for maps in outputs.values()]


def run(out_dir, quick=False):
    limit, epochs = (2000, 1) if quick else (20000, 2)
    (train, val, test), _ = load_data("mnist", seed=0, val_size=5000, train_limit=limit)
    manual_seed(0)
    model = small_cnn()
    trainer = fit(
        model, optim.Adam(model.parameters(), lr=2e-3), train, val, epochs, 64, seed=0, progress_label="small CNN"
    )
    accuracy = trainer.history.history["val_accuracy"][-1]
    image = test[0][0]
    maps = feature_maps(model, image)
    filters = model[0].weight._data[:, 0]
    print(f"small CNN after {epochs} epoch(s) on {limit:,} digits: validation accuracy {accuracy:.2%}")
    print(
        f"first-layer filters {filters.shape}; feature maps {maps[0].shape} and {maps[1].shape} "
        f"for a test digit labelled {int(test[1][0])}"
    )
    print("share of each conv1 map that is active (> 0): " + ", ".join(f"{float(np.mean(m > 0)):.0%}" for m in maps[0]))
    figures = write_figures(out_dir, filters, image[0], maps)
    return {
        "val_accuracy": accuracy,
        "filters_shape": list(filters.shape),
        "map_shapes": [list(m.shape) for m in maps],
        "figures": figures,
    }


def _grid(plt, images, columns, title, path, cmap="gray"):
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.4 * columns, 1.4 * rows + 0.4), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (label, image) in zip(axes.ravel(), images):
        ax.imshow(image, cmap=cmap)
        ax.set_title(label, fontsize=7)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path, dpi=110)


def write_figures(out_dir, filters, digit, maps):
    plt = pyplot_or_none()
    if plt is None:
        return []
    return [
        _grid(
            plt,
            [(f"filter {i}", f) for i, f in enumerate(filters)],
            8,
            "conv1: the 8 learned 5x5 filters",
            os.path.join(out_dir, "filters.png"),
            cmap="bwr",
        ),
        _grid(
            plt,
            [("input", digit)] + [(f"conv1 map {i}", m) for i, m in enumerate(maps[0])],
            9,
            "one test digit and its 8 first-layer feature maps",
            os.path.join(out_dir, "feature_maps_conv1.png"),
        ),
        _grid(
            plt,
            [(f"conv2 map {i}", m) for i, m in enumerate(maps[1])],
            8,
            "its 16 second-layer feature maps (14x14)",
            os.path.join(out_dir, "feature_maps_conv2.png"),
        ),
    ]


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dLoopsFunction,
    npgrad/textbook/pooling.py MaxPool2dFunction, npgrad/textbook/activation.py ReLUFunction
fast ops: npgrad/functional/conv.py conv2d, npgrad/functional/pooling.py max_pool2d
the feature maps: npgrad/analysis/gradients.py activation_recorder (forward hooks)
training: npgrad/train/classifier.py fit and load_data, npgrad/train/trainer.py Trainer
the page: docs/lessons/feature-maps.md
"""

if __name__ == "__main__":
    main(run)
