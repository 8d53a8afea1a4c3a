"""Figures for the lessons (matplotlib, an optional dependency: pip install npgrad[plot])."""

import numpy as np


def pyplot():
    """matplotlib.pyplot with a file-only backend, or an ImportError that says how to get it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plots need matplotlib: pip install 'npgrad[plot]'") from error
    return plt


def save_figure(fig, path, dpi=120):
    """Lay out, write to path and close the figure; returns path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def pyplot_or_none():
    """pyplot, or None after saying that figures are skipped because matplotlib is missing."""
    try:
        return pyplot()
    except ImportError as error:
        print(f"(no figures: {error})")
        return None


def decision_grid(predict, low=-0.5, high=1.5, steps=200):
    """Evaluate predict(points (n, 2) float32 array) -> scores (n,) on a square grid."""
    axis = np.linspace(low, high, steps, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    scores = predict(np.stack([xx.ravel(), yy.ravel()], axis=1))
    return xx, yy, np.asarray(scores).reshape(xx.shape)


def plot_decision_boundaries(panels, path, columns):
    """One panel per (title, predict, inputs, targets): the predicted class as colour and the
    decision boundary (score 0.5) as a line, with the data points on top."""
    plt = pyplot()
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.0 * rows), squeeze=False)
    for ax, (title, predict, inputs, targets) in zip(axes.ravel(), panels):
        xx, yy, scores = decision_grid(predict)
        ax.contourf(xx, yy, scores, levels=[-np.inf, 0.5, np.inf], colors=["#f4cccc", "#cfe2f3"])
        ax.contour(xx, yy, scores, levels=[0.5], colors="k", linewidths=1)
        ax.scatter(inputs[:, 0], inputs[:, 1], c=targets, cmap="bwr_r", edgecolors="k", s=70, vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    return save_figure(fig, path)


def plot_curves(curves, path, xlabel="step", ylabel="loss", title=None, logy=False):
    """Several named curves {label: values} on one axis."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_history(history, path, title=None):
    """Loss and accuracy per epoch, training and validation side by side (a History's dict)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for prefix, style in (("", "-"), ("val_", "--")):
            values = history.get(prefix + metric)
            if values:
                epochs = np.arange(1, len(values) + 1)
                ax.plot(
                    epochs, values, style, marker="o", ms=3, label=("validation " if prefix else "training ") + metric
                )
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)
