"""MLP autoencoders with bottlenecks 2/8/32 on MNIST, a 2-D code space, denoising.

Autoencoders learn to reconstruct their input through a narrow code.

An encoder squeezes each 784-pixel digit into a bottleneck of k numbers, a decoder rebuilds
the digit from them, and the pair is trained to make the output equal the input (binary
cross-entropy per pixel, Adam 1e-3, batch 128, on the MNIST training digits; errors are
reported as mean squared error per pixel on 2,000 test digits). The code must keep what matters:
with k = 2 only the rough shape survives, with k = 32 the reconstructions are close to the
originals. With k = 2 the codes themselves can be drawn: digits of a class gather in regions
of the plane, though no label was used. A denoising autoencoder (Vincent et al., 2008) is the
same network trained to rebuild the clean digit from a noisy one (noise as the DataLoader's
batch_transform, so only the inputs are corrupted): it learns to remove the noise, where an
autoencoder trained on clean digits copies much of the noise through.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, no_grad, optim, tensor
from npgrad.analysis.plots import plot_image_rows, pyplot_or_none, save_figure
from npgrad.data import DataLoader, TensorDataset
from npgrad.datasets import image_arrays
from npgrad.lessons import main
from npgrad.models import Autoencoder, ConvAutoencoder, GaussianNoise
from npgrad.train import ProgressBar, Trainer

CONFIG = {
    "bottlenecks": [2, 8, 32],
    "hidden": [512, 256],
    "epochs": 5,
    "denoising_epochs": 5,
    "noise_std": 0.5,
    "batch_size": 128,
    "lr": 1e-3,
    "seed": 0,
    "train_limit": None,
    "test_limit": 2000,
}
QUICK = {"epochs": 4, "denoising_epochs": 3, "train_limit": 2000, "test_limit": 300, "lr": 3e-3, "hidden": [128]}


def train_autoencoder(model, train_images, config, epochs, corruption=None):
    """Fit model(corruption(x)) to x by binary cross-entropy per pixel (corruption: a
    batch_transform of the inputs)."""
    optimizer = optim.Adam(model.parameters(), lr=config["lr"])
    trainer = Trainer(model, optimizer, nn.BCELoss(), metrics=None, callbacks=[ProgressBar()])
    trainer.fit(
        DataLoader(
            TensorDataset(train_images, train_images),
            batch_size=config["batch_size"],
            shuffle=True,
            generator=config["seed"],
            batch_transform=corruption,
        ),
        epochs=epochs,
    )
    return trainer


def reconstruct(model, images):
    with no_grad():
        model.eval()
        output = model(tensor(images)).numpy()
    model.train()
    return output


def mse(a, b):
    return float(np.mean((a - b) ** 2))


def bottleneck_sizes(config, train, test):
    """One MLP autoencoder per bottleneck size: test MSE and reconstructions."""
    rows, models = [], {}
    for size in config["bottlenecks"]:
        manual_seed(config["seed"])
        model = Autoencoder(size, tuple(config["hidden"]))
        train_autoencoder(model, train[0], config, config["epochs"])
        rows.append({"bottleneck": size, "test_mse": mse(reconstruct(model, test[0]), test[0])})
        models[size] = model
        print(f"bottleneck {size:3d}: test MSE {rows[-1]['test_mse']:.4f}", flush=True)
    return rows, models


def denoising(config, train, test):
    """Convolutional autoencoders trained on clean and on noisy inputs, both tested on noisy
    test digits (fixed noise): MSE to the clean digits."""
    noisy_test = GaussianNoise(config["noise_std"], generator=config["seed"] + 1)(test[0])
    results, outputs = {"noisy input itself": mse(noisy_test, test[0])}, {}
    for name, corruption in (
        ("trained on clean digits", None),
        ("denoising: trained on noisy digits", GaussianNoise(config["noise_std"], generator=config["seed"])),
    ):
        manual_seed(config["seed"])
        model = ConvAutoencoder(bottleneck=32)
        train_autoencoder(model, train[0], config, config["denoising_epochs"], corruption)
        outputs[name] = reconstruct(model, noisy_test)
        results[name] = mse(outputs[name], test[0])
        print(f"noise std {config['noise_std']}: {name}: test MSE to the clean digits {results[name]:.4f}", flush=True)
    return results, noisy_test, outputs


def plot_latent_2d(model, test, path):
    plt = pyplot_or_none()
    with no_grad():
        codes = model.encode(tensor(test[0])).numpy()
    fig, ax = plt.subplots(figsize=(6, 5))
    points = ax.scatter(codes[:, 0], codes[:, 1], c=test[1], cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    ax.set_title("2-D codes of test digits (no labels used in training)")
    return save_figure(fig, path)


def run(out_dir, quick=False):
    config = {**CONFIG, **(QUICK if quick else {})}
    train, test = image_arrays("mnist", config["train_limit"], config["test_limit"])
    rows_by_size, models = bottleneck_sizes(config, train, test)
    denoised, noisy_test, outputs = denoising(config, train, test)
    figures = []
    if pyplot_or_none() is not None:
        rows = {"original": test[0], **{f"k = {k}": reconstruct(m, test[0][:10]) for k, m in models.items()}}
        figures.append(plot_image_rows(rows, os.path.join(out_dir, "reconstructions.png")))
        if 2 in models:
            figures.append(plot_latent_2d(models[2], test, os.path.join(out_dir, "latent_2d.png")))
        rows = {"noisy input": noisy_test, **outputs, "clean": test[0]}
        figures.append(plot_image_rows(rows, os.path.join(out_dir, "denoising.png")))
    return {"config": config, "bottlenecks": rows_by_size, "denoising_mse": denoised, "figures": figures}


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/linear.py LinearFunction, npgrad/textbook/activation.py ReLUFunction and SigmoidFunction
the models: npgrad/models/autoencoder.py Autoencoder, ConvAutoencoder and GaussianNoise
the loss: npgrad/functional/loss.py binary_cross_entropy
the page: docs/lessons/autoencoder.md
"""

if __name__ == "__main__":
    main(run)
