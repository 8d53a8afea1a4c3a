"""Lessons: one self-supervised method each, on Fashion-MNIST without its labels.

Each lesson draws its pretext task on real images (the rotations, the hole to paint, the grid
of patches, the shuffled tiles, the two views), pretrains npgrad.ssl.ConvEncoder on it for the
steps the self-supervised-comparison lesson gives it (about 15 s of CPU time), draws the
pretext loss and accuracy against the steps, and scores the task on test images before and
after. Then the encoder is judged on the real task: a linear probe on its frozen features with
1 % and 100 % of the labels, beside the same probe on the untrained encoder.
"""

import os

import numpy as np

from npgrad import manual_seed
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.ssl import (
    ContextEncoder,
    ContextPrediction,
    ConvEncoder,
    Jigsaw,
    Rotation,
    SimCLR,
    evaluate_pretext,
    grid_patches,
    linear_probe,
    maximal_hamming_permutations,
    minimum_hamming_distance,
    pretrain,
)
from npgrad.ssl.context_prediction import NEIGHBOUR_NAMES
from npgrad.ssl.rotation import ANGLES
from npgrad.lessons.autoencoder import plot_rows
from npgrad.lessons.self_supervised_comparison import CONFIG as COMPARISON
from npgrad.lessons.self_supervised_comparison import _smoothed
from npgrad.lessons.vae import image_arrays

CONFIG = {"dataset": "fashion-mnist", "batch_size": 128, "lr": 1e-3, "seed": 0, "fractions": [0.01, 1.0]}
CONFIG.update(
    pretext_test_images=2000, **{key: COMPARISON[key] for key in ("train_limit", "test_limit", "probe_steps")}
)
QUICK = {
    "train_limit": 2000,
    "test_limit": 500,
    "pretext_test_images": 500,
    "probe_steps": 200,
    "fractions": [0.1, 1.0],
}
QUICK_STEPS = {"rotation": 40, "inpainting": 60, "context prediction": 150, "jigsaw": 100, "SimCLR": 60}


def run_lesson(method_name, make_method, draw_task, out_dir, quick):
    """Show the task, pretrain, score the pretext task before and after, probe; the result dict."""
    config = {**CONFIG, **(QUICK if quick else {})}
    config["steps"] = (QUICK_STEPS if quick else COMPARISON["steps"])[method_name]
    train, test = image_arrays(config["dataset"], config["train_limit"], config["test_limit"])
    manual_seed(config["seed"])
    method = make_method(ConvEncoder(), config["seed"])
    pretext_test = test[0][: config["pretext_test_images"]]
    random_probe = linear_probe(method.encoder, train, test, config["fractions"], config["probe_steps"])
    before = evaluate_pretext(method, pretext_test)
    figures = [draw_task(method, test[0][:8], os.path.join(out_dir, "pretext_task.png"))] if pyplot_or_none() else []
    curve = pretrain(method, train[0], config["steps"], config["batch_size"], config["lr"], config["seed"])
    after = evaluate_pretext(method, pretext_test)
    probe = linear_probe(method.encoder, train, test, config["fractions"], config["probe_steps"])
    print(f"{method_name}: {config['steps']} pretraining steps of {config['batch_size']} unlabelled images")
    print(
        f"pretext task on {len(pretext_test)} test images: "
        + ", ".join(f"{k} {before[k]:.4f} -> {after[k]:.4f}" for k in after)
    )
    for fraction in config["fractions"]:
        print(
            f"linear probe, {fraction:.0%} of the labels: random encoder {random_probe[fraction]:.2%}, "
            f"pretrained {probe[fraction]:.2%}"
        )
    if figures:
        figures.append(plot_curve(curve, method_name, os.path.join(out_dir, "pretext_curve.png")))
    return {
        "config": config,
        "pretext_before": before,
        "pretext_after": after,
        "probe_random_encoder": {str(f): a for f, a in random_probe.items()},
        "probe_pretrained": {str(f): a for f, a in probe.items()},
        "figures": figures,
    }


def plot_curve(logs, method_name, path, window=20):
    """The pretext loss, and the pretext accuracy where there is one, against the steps."""
    plt = pyplot_or_none()
    names = [name for name in ("loss", "accuracy") if name in logs[0]]
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        ax.plot(_smoothed([log[name] for log in logs], window))
        ax.set_xlabel("step")
        ax.set_ylabel(f"pretext {name} (mean of {window} steps)")
    fig.suptitle(f"{method_name}: pretraining")
    return save_figure(fig, path)


def draw_patches(images, corners, patches, titles, path, patch_titles):
    """Each image with its 3x3 grid of patch boxes, then the patches in the order given."""
    plt = pyplot_or_none()
    from matplotlib.patches import Rectangle

    count = len(images)
    fig, axes = plt.subplots(count, 10, figsize=(12, 1.35 * count), squeeze=False)
    size = patches.shape[-1]
    for row, image, boxes, cut, title, labels in zip(axes, images, corners, patches, titles, patch_titles):
        row[0].imshow(image[0], cmap="gray", vmin=0, vmax=1)
        for top, left in boxes:
            row[0].add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False, edgecolor="red", lw=0.8))
        row[0].set_title(title, fontsize=7)
        for ax, patch, label in zip(row[1:], cut, labels):
            ax.imshow(patch[0], cmap="gray", vmin=0, vmax=1)
            ax.set_title(label, fontsize=6)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    return save_figure(fig, path)


# --------------------------------------------------------------- the tasks, drawn
def draw_rotations(method, images, path):
    turned, _ = method.pretext_batch(images)
    return plot_rows({f"{angle} degrees": turned[k * len(images) :] for k, angle in enumerate(ANGLES)}, path, 8)


def draw_holes(method, images, path):
    masked, _ = method.pretext_batch(images)
    return plot_rows({"image": images, "encoder input": masked}, path, 8)


def draw_context(method, images, path):
    images = images[:4]
    patches, corners = grid_patches(images, method.patch, method.gap, method.jitter, np.random.default_rng(0))
    names = [*NEIGHBOUR_NAMES[:4], "centre", *NEIGHBOUR_NAMES[4:]]
    titles = [f"patch {method.patch}, gap {method.gap}, jitter {method.jitter}"] * len(images)
    return draw_patches(images, corners, patches, titles, path, [names] * len(images))


def draw_jigsaw(method, images, path):
    images = images[:4]
    rng = np.random.default_rng(0)
    tiles, corners = grid_patches(images, method.tile, method.gap, method.jitter, rng)
    labels = rng.integers(0, len(method.permutations), len(images))
    order = method.permutations[labels]
    shuffled = tiles[np.arange(len(images))[:, None], order]
    titles = [f"permutation {label} of {len(method.permutations)}" for label in labels]
    return draw_patches(images, corners, shuffled, titles, path, [[f"tile {t}" for t in row] for row in order])


def draw_views(method, images, path):
    (view1, view2), _ = method.pretext_batch(images)
    return plot_rows({"image": images, "view 1": view1, "view 2": view2}, path, 8)


# --------------------------------------------------------------- the lessons
@recipe("rotation", "self-supervised: predict which of 0/90/180/270 degrees an image was turned; linear probe")
def rotation(out_dir, quick=False):
    return run_lesson(
        "rotation", lambda encoder, seed: Rotation(encoder, generator=seed), draw_rotations, out_dir, quick
    )


@recipe("context-encoder", "self-supervised inpainting: paint a 12x12 hole back from the rest; linear probe")
def context_encoder(out_dir, quick=False):
    return run_lesson(
        "inpainting", lambda encoder, seed: ContextEncoder(encoder, generator=seed), draw_holes, out_dir, quick
    )


@recipe("context-prediction", "self-supervised: where does a patch sit relative to the centre patch (8-way); probe")
def context_prediction(out_dir, quick=False):
    return run_lesson(
        "context prediction",
        lambda encoder, seed: ContextPrediction(encoder, generator=seed),
        draw_context,
        out_dir,
        quick,
    )


@recipe("jigsaw", "self-supervised: which of 64 maximally distant permutations shuffled 9 tiles; linear probe")
def jigsaw(out_dir, quick=False):
    result = run_lesson("jigsaw", lambda encoder, seed: Jigsaw(encoder, generator=seed), draw_jigsaw, out_dir, quick)
    distance = minimum_hamming_distance(maximal_hamming_permutations(64))
    print(f"the 64 permutations differ pairwise in at least {distance} of the 9 places")
    return {**result, "minimum_hamming_distance": distance}


@recipe("simclr", "self-supervised contrastive: two augmented views, NT-Xent loss; linear probe")
def simclr(out_dir, quick=False):
    return run_lesson("SimCLR", lambda encoder, seed: SimCLR(encoder, generator=seed), draw_views, out_dir, quick)
