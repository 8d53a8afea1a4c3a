"""Deep plain CNN vs the same depth with skip connections: the degradation problem.

The degradation problem, and how skip connections fix it (He et al., 2016).

Stacking more layers should never hurt in principle (extra layers could learn the identity),
yet a deeper plain network trains worse than a shallow one: the gradient has to pass through
every layer, and without help it fades. A residual block computes x + F(x) instead of F(x),
so the identity is the default and the gradient has a direct path back.
The degradation is not vanishing gradients: as in the paper, every convolution is followed by
batch normalisation and starts from He initialisation, so signals keep their scale at any
depth; the deeper plain network still trains worse. Four CNNs, plain and residual at two
depths, the same SGD on the same MNIST batches.
The claim is the order of the training losses, which holds on every BLAS kernel set measured;
the validation accuracy of one such short run at a constant learning rate moves with the BLAS
rounding by up to 10 points (docs/reproducibility.md), so it is printed but not compared.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, optim
from npgrad.analysis.plots import plot_curves, pyplot_or_none, smooth
from npgrad.lessons import main
from npgrad.models._common import init_like_torchvision, kaiming_normal_fan_out
from npgrad.train import StepLosses
from npgrad.train.classifier import fit, load_data


def conv_bn(channels_in, channels_out, stride=1):
    return [nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(channels_out)]


class Block(nn.Module):
    """F(x) = BN(conv(ReLU(BN(conv(x))))), then ReLU(x + F(x)) with the skip connection or
    ReLU(F(x)) without it: the same layers and parameters either way."""

    def __init__(self, channels, residual):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(channels, channels), nn.ReLU(), *conv_bn(channels, channels))
        self.relu = nn.ReLU()
        self.residual = residual

    def forward(self, x):
        out = self.body(x)
        return self.relu(x + out if self.residual else out)


def network(depth, residual, channels=16, num_classes=10):
    """depth weight layers: a stride-2 stem conv, (depth - 2) / 2 blocks, a linear classifier;
    convolutions He-initialised (torchvision's kaiming_normal_, fan_out)."""
    blocks = [Block(channels, residual) for _ in range((depth - 2) // 2)]
    model = nn.Sequential(
        *conv_bn(1, channels, stride=2),
        nn.ReLU(),
        *blocks,
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(channels, num_classes),
    )
    init_like_torchvision(model, kaiming_normal_fan_out)
    return model


def train_one(depth, residual, train, val, epochs):
    """Train one network with SGD on the same batches; its table row and smoothed loss curve."""
    manual_seed(0)
    model = network(depth, residual)
    recorder = StepLosses()
    name = f"{'residual' if residual else 'plain'}, {depth} layers"
    trainer = fit(
        model,
        optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
        train,
        val,
        epochs,
        64,
        seed=0,
        progress_label=name,
        callbacks=[recorder],
    )
    history = trainer.history.history
    row = {
        "model": name,
        "depth": depth,
        "residual": residual,
        "parameters": sum(p._data.size for p in model.parameters()),
        "first_loss": recorder.losses[0],
        "last_100_steps_loss": float(np.mean(recorder.losses[-100:])),
        "final_train_loss": history["loss"][-1],
        "val_accuracy": history["val_accuracy"][-1],
    }
    return row, smooth(recorder.losses)


def print_table(rows):
    print(
        f"{'model':<22} {'parameters':>10} {'train loss, last epoch':>23} {'last 100 steps':>15} "
        f"{'validation accuracy':>20}"
    )
    for r in rows:
        print(
            f"{r['model']:<22} {r['parameters']:>10,} {r['final_train_loss']:>23.4f} "
            f"{r['last_100_steps_loss']:>15.4f} {r['val_accuracy']:>20.2%}"
        )


def run(out_dir, quick=False):
    depths, limit, epochs = ((4, 10), 1500, 1) if quick else ((8, 26), 10000, 2)
    (train, val, _), _ = load_data("mnist", seed=0, val_size=2000, train_limit=limit)
    runs = [train_one(depth, residual, train, val, epochs) for residual in (False, True) for depth in depths]
    rows = [row for row, _ in runs]
    print_table(rows)
    figures = []
    if pyplot_or_none() is not None:
        curves = {row["model"]: curve for row, curve in runs}
        figures.append(
            plot_curves(
                curves,
                os.path.join(out_dir, "resnet_vs_plain.png"),
                ylabel="training loss (moving average)",
                logy=True,
                title=f"MNIST ({limit:,} digits): plain vs residual CNNs, batch norm, He init",
            )
        )
    return {"train_images": limit, "epochs": epochs, "rows": rows, "figures": figures}


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dIm2colFunction,
    npgrad/textbook/normalization.py BatchNormFunction, npgrad/textbook/activation.py ReLUFunction
fast ops: npgrad/functional/conv.py conv2d, npgrad/functional/normalization.py batch_norm
the zoo's residual networks: npgrad/models/resnet.py BasicBlock and ResNet
training: npgrad/train/classifier.py fit and load_data, npgrad/train/trainer.py Trainer; npgrad/analysis/plots.py smooth
the page: docs/lessons/resnet-vs-plain.md
"""

if __name__ == "__main__":
    main(run)
