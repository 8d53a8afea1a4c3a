"""Batch sizes 32..1024 with a fixed lr vs the linear scaling rule + warmup.

Batch size and learning rate — the linear scaling rule with warmup.

The same MLP trains for the same number of epochs with batch sizes 32 to 1024 and SGD with
momentum 0.9. Keeping the learning rate tuned for batch 32 (0.01) starves large batches:
they take 32x fewer steps of the same size. The linear scaling rule (Goyal et al., 2017)
multiplies the learning rate by batch / 32, and a linear warmup over the first epoch lets the
large rates start safely (npgrad.optim.lr_scheduler.linear_scaling_lr and warmup_scheduler).
"""

import os

from npgrad import manual_seed, models, optim
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.optim.lr_scheduler import linear_scaling_lr, warmup_scheduler
from npgrad.lessons import main
from npgrad.train.classifier import fit, load_data

BASE_BATCH, BASE_LR = 32, 0.01


def train_one(data, classes, batch_size, scaled, epochs):
    (train, val, _) = data
    manual_seed(0)
    model = models.create("mlp", in_shape=train[0].shape[1:], num_classes=len(classes), dropout=0)
    lr = linear_scaling_lr(BASE_LR, batch_size, BASE_BATCH) if scaled else BASE_LR
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    steps_per_epoch = -(-len(train[0]) // batch_size)
    scheduler = warmup_scheduler(optimizer, steps_per_epoch, start_factor=BASE_BATCH / batch_size) if scaled else None
    label = f"batch {batch_size}, {'scaled lr + warmup' if scaled else 'fixed lr'}"
    trainer = fit(
        model,
        optimizer,
        train,
        val,
        epochs,
        batch_size,
        seed=0,
        progress_label=label,
        scheduler=scheduler,
        scheduler_step="batch",
    )
    history = trainer.history.history
    return {
        "batch_size": batch_size,
        "rule": "scaled + warmup" if scaled else "fixed lr",
        "lr": lr,
        "steps": steps_per_epoch * epochs,
        "val_accuracy": history["val_accuracy"][-1],
        "train_loss": history["loss"][-1],
    }


def run(out_dir, quick=False):
    batch_sizes, epochs, limit = ((32, 256), 1, 4000) if quick else ((32, 64, 128, 256, 512, 1024), 5, None)
    data, classes = load_data("mnist", seed=0, val_size=5000, train_limit=limit)
    rows = [train_one(data, classes, b, scaled, epochs) for b in batch_sizes for scaled in (False, True)]
    print(f"{'batch':>6} {'rule':<16} {'lr':>7} {'steps':>6} {'train loss':>10} {'val accuracy':>12}")
    for r in rows:
        print(
            f"{r['batch_size']:>6} {r['rule']:<16} {r['lr']:>7.3g} {r['steps']:>6} {r['train_loss']:>10.4f} {r['val_accuracy']:>12.2%}"
        )
    figures = write_figure(out_dir, rows)
    return {"epochs": epochs, "base_batch": BASE_BATCH, "base_lr": BASE_LR, "rows": rows, "figures": figures}


def write_figure(out_dir, rows):
    plt = pyplot_or_none()
    if plt is None:
        return []
    fig, ax = plt.subplots(figsize=(6, 4))
    for rule in ("fixed lr", "scaled + warmup"):
        points = [(r["batch_size"], r["val_accuracy"]) for r in rows if r["rule"] == rule]
        ax.semilogx(*zip(*points), marker="o", base=2, label=rule)
    ax.set_xlabel("batch size")
    ax.set_ylabel("validation accuracy")
    ax.set_title("Same epochs, growing batch")
    ax.legend()
    return [save_figure(fig, os.path.join(out_dir, "batch_size_lr.png"))]


READ_NEXT = """
textbook (the lecture's update rule): npgrad/textbook/optim.py Momentum
fast optimizer: npgrad/optim/sgd.py SGD (momentum=0.9)
the rule and the warmup: npgrad/optim/lr_scheduler.py linear_scaling_lr and warmup_scheduler
training: npgrad/train/classifier.py fit and load_data, npgrad/train/trainer.py Trainer
the page: docs/lessons/batch-size-lr.md
"""

if __name__ == "__main__":
    main(run)
