"""What the five pretext-task lessons (rotation, context-encoder, context-prediction, jigsaw,
simclr) share. (The self-supervised-comparison lesson gives every method a longer budget.)

Each pretext lesson draws its task on real images, pretrains ConvEncoder on it for the steps
PRETRAIN_STEPS gives the method (about 15 s of CPU time), draws the pretext loss and accuracy
against the steps, scores the task on test images before and after, and judges the encoder by
a linear probe on its frozen features, beside the same probe on the untrained encoder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import manual_seed, nn
from ..analysis.plots import pyplot, pyplot_or_none, save_figure, smooth
from ..datasets import image_arrays
from ..train import ProgressBar
from .encoder import ConvEncoder
from .evaluation import linear_probe
from .method import SelfSupervised, evaluate_pretext, pretrain

# pretraining steps of batch 128, set for about 15 s of CPU time each (one thread) from the
# measured cost of a step: rotation 0.14 s (4 rotations of every image), SimCLR 0.077 (2 views),
# the autoencoders 0.049, supervised about 0.03, context prediction and jigsaw 0.015 (9 small patches)
PRETRAIN_STEPS = {
    "autoencoder": 300,
    "inpainting": 300,
    "context prediction": 1000,
    "jigsaw": 1000,
    "rotation": 110,
    "SimCLR": 200,
    "supervised": 500,
}
EVALUATION = {"train_limit": 20000, "test_limit": 5000, "probe_steps": 500}
CONFIG = {
    "dataset": "fashion-mnist",
    "batch_size": 128,
    "lr": 1e-3,
    "seed": 0,
    "fractions": [0.01, 1.0],
    "pretext_test_images": 2000,
    **EVALUATION,
}
QUICK = {
    "train_limit": 2000,
    "test_limit": 500,
    "pretext_test_images": 500,
    "probe_steps": 200,
    "fractions": [0.1, 1.0],
}


def run_pretext_lesson(
    method_name: str,
    make_method: Callable[[nn.Module, int], SelfSupervised],
    draw_task: Callable[[SelfSupervised, np.ndarray, str], str | os.PathLike],
    out_dir: str | os.PathLike,
    quick: bool = False,
    quick_steps: int | None = None,
) -> dict[str, Any]:
    """Show the task, pretrain, score the pretext task before and after, probe; the result dict.

    make_method(encoder, seed) -> the SelfSupervised method; draw_task(method, images, path) ->
    the figure of its task; quick_steps: the pretraining steps of the quick run."""
    config = {**CONFIG, **(QUICK if quick else {})}
    config["steps"] = quick_steps if quick else PRETRAIN_STEPS[method_name]
    train, test = image_arrays(config["dataset"], config["train_limit"], config["test_limit"])
    manual_seed(config["seed"])
    method = make_method(ConvEncoder(), config["seed"])
    pretext_test = test[0][: config["pretext_test_images"]]
    random_probe = linear_probe(method.encoder, train, test, config["fractions"], config["probe_steps"])
    before = evaluate_pretext(method, pretext_test)
    figures = [draw_task(method, test[0][:8], os.path.join(out_dir, "pretext_task.png"))] if pyplot_or_none() else []
    curve = pretrain(
        method, train[0], config["steps"], config["batch_size"], config["lr"], config["seed"], [ProgressBar()]
    )
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
        figures.append(plot_pretext_curve(curve, method_name, os.path.join(out_dir, "pretext_curve.png")))
    return {
        "config": config,
        "pretext_before": before,
        "pretext_after": after,
        "probe_random_encoder": {str(f): a for f, a in random_probe.items()},
        "probe_pretrained": {str(f): a for f, a in probe.items()},
        "figures": figures,
    }


def plot_pretext_curve(
    logs: Sequence[dict[str, float]], method_name: str, path: str | os.PathLike, window: int = 20
) -> str | os.PathLike:
    """The pretext loss, and the pretext accuracy where there is one, against the steps."""
    plt = pyplot()
    names = [name for name in ("loss", "accuracy") if name in logs[0]]
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        ax.plot(smooth([log[name] for log in logs], window))
        ax.set_xlabel("step")
        ax.set_ylabel(f"pretext {name} (mean of {window} steps)")
    fig.suptitle(f"{method_name}: pretraining")
    return save_figure(fig, path)


def draw_patches(
    images: np.ndarray,
    corners: np.ndarray,
    patches: np.ndarray,
    titles: Sequence[str],
    path: str | os.PathLike,
    patch_titles: Sequence[Sequence[str]],
) -> str | os.PathLike:
    """Each image with its 3x3 grid of patch boxes (top-left corners), then its patches in the
    order given, each titled."""
    plt = pyplot()
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
