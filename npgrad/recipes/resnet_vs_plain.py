"""Lesson: the degradation problem, and how skip connections fix it (He et al., 2016).

Stacking more layers should never hurt in principle (extra layers could learn the identity),
yet a deeper plain network trains worse than a shallow one: the gradient has to pass through
every layer, and without help it fades. A residual block computes x + F(x) instead of F(x),
so the identity is the default and the gradient has a direct path back.
Four CNNs with PyTorch's default initialisation and no batch norm (to show the effect without
it): plain and residual, 8 and 20 weight layers, the same SGD on the same MNIST batches.
"""
import os

from .. import manual_seed, nn, optim
from ..analysis.plots import plot_curves, pyplot_or_none
from ..train import StepLosses
from . import recipe
from .classifier import fit, load_data
from .optimizers import smooth


class Block(nn.Module):
    """conv-ReLU-conv, then ReLU(x + F(x)) with the skip connection or ReLU(F(x)) without it."""

    def __init__(self, channels, residual):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.relu = nn.ReLU()
        self.residual = residual

    def forward(self, x):
        out = self.conv2(self.relu(self.conv1(x)))
        return self.relu(x + out if self.residual else out)


def network(depth, residual, channels=16, num_classes=10):
    """depth weight layers: a stride-2 stem conv, (depth - 2) / 2 blocks, a linear classifier."""
    blocks = [Block(channels, residual) for _ in range((depth - 2) // 2)]
    return nn.Sequential(nn.Conv2d(1, channels, 3, stride=2, padding=1), nn.ReLU(), *blocks,
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))


@recipe("resnet-vs-plain", "deep plain CNN vs the same depth with skip connections: the degradation problem")
def run(out_dir, quick=False):
    depths, limit, epochs = ((4, 10), 1500, 1) if quick else ((8, 20), 10000, 3)
    (train, val, _), _ = load_data("mnist", seed=0, val_size=2000, train_limit=limit)
    rows, curves = [], {}
    for residual in (False, True):
        for depth in depths:
            name = f"{'residual' if residual else 'plain'}, {depth} layers"
            manual_seed(0)
            model = network(depth, residual)
            recorder = StepLosses()
            trainer = fit(model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9), train, val, epochs, 64,
                          seed=0, callbacks=[recorder])
            curves[name] = smooth(recorder.losses)
            history = trainer.history.history
            rows.append({"model": name, "depth": depth, "residual": residual, "first_loss": recorder.losses[0],
                         "final_train_loss": history["loss"][-1], "val_accuracy": history["val_accuracy"][-1]})
    print(f"{'model':<22} {'train loss, last epoch':>23} {'validation accuracy':>20}")
    for r in rows:
        print(f"{r['model']:<22} {r['final_train_loss']:>23.4f} {r['val_accuracy']:>20.2%}")
    figures = []
    if pyplot_or_none() is not None:
        figures.append(plot_curves(curves, os.path.join(out_dir, "resnet_vs_plain.png"),
                                   ylabel="training loss (moving average)", logy=True,
                                   title=f"MNIST ({limit:,} digits): plain vs residual CNNs"))
    return {"train_images": limit, "epochs": epochs, "rows": rows, "figures": figures}
