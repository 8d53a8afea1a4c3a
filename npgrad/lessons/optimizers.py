"""SGD, Momentum, Adagrad, RMSprop and Adam: loss curves on one plot.

SGD, Momentum, Adagrad, RMSprop and Adam on the same MLP, data and batches.

Each starts from the same initial weights (same seed) and sees the same batches in the same
order; only the update rule differs. The learning rates are each method's usual default
(momentum 0.9 for Momentum), not tuned per method.
"""

import os

from npgrad import manual_seed, models, optim
from npgrad.analysis.plots import plot_curves, pyplot_or_none, smooth
from npgrad.lessons import main
from npgrad.train import StepLosses
from npgrad.train.classifier import fit, load_data

OPTIMIZERS = {
    "SGD (lr 0.1)": lambda p: optim.SGD(p, lr=0.1),
    "Momentum (lr 0.01, 0.9)": lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
    "Adagrad (lr 0.01)": lambda p: optim.Adagrad(p, lr=0.01),
    "RMSprop (lr 0.001)": lambda p: optim.RMSprop(p, lr=0.001),
    "Adam (lr 0.001)": lambda p: optim.Adam(p, lr=0.001),
}


def run(out_dir, quick=False):
    train_limit, epochs = (2000, 1) if quick else (20000, 5)
    (train, val, _), classes = load_data("mnist", seed=0, val_size=5000, train_limit=train_limit)
    rows, curves = [], {}
    for name, make in OPTIMIZERS.items():
        manual_seed(0)
        model = models.create("mlp", in_shape=train[0].shape[1:], num_classes=len(classes), dropout=0)
        recorder = StepLosses()
        trainer = fit(
            model, make(model.parameters()), train, val, epochs, 64, seed=0, progress_label=name, callbacks=[recorder]
        )
        curves[name] = smooth(recorder.losses)
        history = trainer.history.history
        rows.append(
            {
                "optimizer": name,
                "first_loss": recorder.losses[0],
                "final_train_loss": history["loss"][-1],
                "val_accuracy": history["val_accuracy"][-1],
            }
        )
    print(f"{'optimizer':<26} {'train loss, last epoch':>23} {'validation accuracy':>20}")
    for r in rows:
        print(f"{r['optimizer']:<26} {r['final_train_loss']:>23.4f} {r['val_accuracy']:>20.2%}")
    figures = []
    if pyplot_or_none() is not None:
        figures.append(
            plot_curves(
                curves,
                os.path.join(out_dir, "optimizers.png"),
                ylabel="training loss (moving average)",
                title=f"MLP on {train_limit:,} MNIST digits, batch 64",
                logy=True,
            )
        )
    return {"train_images": train_limit, "epochs": epochs, "rows": rows, "figures": figures}


READ_NEXT = """
textbook (the lecture's update rules): npgrad/textbook/optim.py SGD, Momentum, Adagrad, RMSprop and Adam
fast optimizers: npgrad/optim/sgd.py SGD (momentum), npgrad/optim/adagrad.py Adagrad,
    npgrad/optim/rmsprop.py RMSprop, npgrad/optim/adam.py Adam
training: npgrad/train/classifier.py fit and load_data, npgrad/train/trainer.py Trainer; npgrad/analysis/plots.py smooth
the page: docs/lessons/optimizers.md
"""

if __name__ == "__main__":
    main(run)
