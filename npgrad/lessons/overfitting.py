"""A large model on 1,000 digits overfits, a tiny one underfits; early stopping.

Overfitting, underfitting, and early stopping.

Three MLPs learn from only 1,000 MNIST digits and are checked on 5,000 held-out ones:
  too small   784-2-10: two hidden units cannot hold ten classes; training and validation
              loss stay high together (underfitting)
  large       784-1024-1024-10, no regularisation: training loss falls towards zero while
              validation loss turns up after a few epochs (overfitting)
  large + reg the same with dropout 0.5 and weight decay: the gap closes
EarlyStopping watches the validation loss, stops 10 epochs after its best, and restores the
best weights; the test set is scored with those.
"""

import os

import numpy as np

from npgrad import manual_seed, models, optim
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.lessons import main
from npgrad.train import EarlyStopping
from npgrad.train.classifier import fit, load_data, loader

MODELS = {
    "too small (784-2-10)": dict(hidden=(2,), dropout=0, weight_decay=0),
    "large (784-1024-1024-10)": dict(hidden=(1024, 1024), dropout=0, weight_decay=0),
    "large + dropout + weight decay": dict(hidden=(1024, 1024), dropout=0.5, weight_decay=1e-3),
}


def train_one(name, settings, data, classes, max_epochs, patience):
    (train, val, test) = data
    manual_seed(0)
    model = models.create(
        "mlp",
        in_shape=train[0].shape[1:],
        num_classes=len(classes),
        hidden=settings["hidden"],
        dropout=settings["dropout"],
    )
    optimizer = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=settings["weight_decay"])
    stopper = EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    trainer = fit(model, optimizer, train, val, max_epochs, 64, seed=0, progress_label=name, callbacks=[stopper])
    history = trainer.history.history
    best = int(np.argmin(history["val_loss"]))
    return {
        "best_epoch": best + 1,
        "epochs_run": len(history["loss"]),
        "train_loss_at_best": history["loss"][best],
        "val_loss_at_best": history["val_loss"][best],
        "val_loss_at_end": history["val_loss"][-1],
        "test_accuracy": trainer.evaluate(loader(test, 1000))["accuracy"],
        "history": history,
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def run(out_dir, quick=False):
    train_limit, max_epochs, patience = (300, 8, 3) if quick else (1000, 100, 10)
    data, classes = load_data("mnist", seed=0, val_size=5000, train_limit=train_limit)
    results = {
        name: train_one(name, settings, data, classes, max_epochs, patience) for name, settings in MODELS.items()
    }
    print(
        f"{'model':<32} {'params':>9} {'best epoch':>10} {'ran':>4} {'train loss':>10} "
        f"{'val loss (best)':>15} {'val loss (end)':>14} {'test acc':>8}"
    )
    for name, r in results.items():
        print(
            f"{name:<32} {r['parameters']:>9,} {r['best_epoch']:>10} {r['epochs_run']:>4} "
            f"{r['train_loss_at_best']:>10.4f} {r['val_loss_at_best']:>15.4f} {r['val_loss_at_end']:>14.4f} "
            f"{r['test_accuracy']:>8.2%}"
        )
    figures = write_figure(out_dir, results)
    return {"train_images": len(data[0][0]), "models": results, "figures": figures}


def write_figure(out_dir, results):
    plt = pyplot_or_none()
    if plt is None:
        return []
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.8), squeeze=False)
    for ax, (name, r) in zip(axes[0], results.items()):
        epochs = np.arange(1, r["epochs_run"] + 1)
        ax.plot(epochs, r["history"]["loss"], label="training loss")
        ax.plot(epochs, r["history"]["val_loss"], "--", label="validation loss")
        ax.axvline(r["best_epoch"], color="grey", lw=0.8, label=f"early stopping's pick (epoch {r['best_epoch']})")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(name, fontsize=10)
        ax.legend(fontsize=8)
    return [save_figure(fig, os.path.join(out_dir, "overfitting.png"))]


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/dropout.py DropoutFunction
fast ops: npgrad/functional/dropout.py dropout; weight decay: npgrad/optim/adamw.py AdamW
early stopping: npgrad/train/callbacks.py EarlyStopping
training: npgrad/train/classifier.py fit and load_data, npgrad/train/trainer.py Trainer
the page: docs/lessons/overfitting.md
"""

if __name__ == "__main__":
    main(run)
