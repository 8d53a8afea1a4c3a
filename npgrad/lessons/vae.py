"""A VAE (784-400-20, Adam, 10 epochs) on MNIST: samples, interpolation, 2-D manifold, ELBO in nats.

A variational autoencoder learns to generate digits (Kingma and Welling, 2014).

pytorch/examples' VAE set-up: encoder 784 -> 400 (ReLU) -> mean and log-variance of a
20-dimensional Gaussian q(z|x); a z drawn from it by the reparameterization trick; decoder
20 -> 400 (ReLU) -> 784 Bernoulli logits. Adam 1e-3, batch 128, 10 epochs on the 60,000
MNIST training digits (grey levels in [0, 1] as targets), the loss the negative ELBO:
reconstruction -log p(x|z) + KL(q(z|x) || N(0, I)), reported per image in nats on the test
set after every epoch (one z sample per image, as the example computes it).

Then what the latent space holds: new digits decoded from z ~ N(0, I), the path between two
test digits' codes, and, with a 2-dimensional latent space, the whole manifold: a grid of z
through the Gaussian's quantiles, decoded. benchmarks/vae_torch.py trains PyTorch on the
same configuration for the reference figure.

Also the run folder that `npgrad train` writes: config.json, metrics.csv, curves.png,
last.safetensors (checkpoint), samples/epoch_NNN.png.
"""

import os
from statistics import NormalDist

import numpy as np

from npgrad import manual_seed, no_grad, optim, tensor
from npgrad.analysis.plots import plot_curves, pyplot_or_none
from npgrad.data import DataLoader, TensorDataset
from npgrad.datasets import image_arrays
from npgrad.lessons import main
from npgrad.metrics.images import SampleGrids, save_image_grid
from npgrad.models import VAE, VAETrainer
from npgrad.train import ProgressBar
from npgrad.train.run_folder import run_callbacks, write_config

CONFIG = {
    "dataset": "mnist",
    "hidden_dim": 400,
    "latent_dim": 20,
    "lr": 1e-3,
    "batch_size": 128,
    "epochs": 10,
    "seed": 0,
    "train_limit": None,
    "test_limit": None,
    "manifold_epochs": 10,
}
QUICK = {"epochs": 2, "train_limit": 2000, "test_limit": 500, "manifold_epochs": 1}


def train_vae(config, train, test, out_dir, latent_dim, samples=True):
    """Train the MLP VAE; returns (model, history dict). Seeded: weights, shuffling and every z."""
    manual_seed(config["seed"])
    model = VAE(784, config["hidden_dim"], latent_dim)
    callbacks = run_callbacks(out_dir) if samples else [ProgressBar()]
    trainer = VAETrainer(model, optim.Adam(model.parameters(), lr=config["lr"]), callbacks=callbacks)
    if samples:
        z = np.random.default_rng(config["seed"]).standard_normal((100, latent_dim)).astype(np.float32)
        trainer.callbacks.append(SampleGrids(os.path.join(out_dir, "samples"), lambda vae: vae.sample(z=z)))
    loader = DataLoader(
        TensorDataset(train[0]), batch_size=config["batch_size"], shuffle=True, generator=config["seed"]
    )
    trainer.fit(loader, DataLoader(TensorDataset(test[0]), batch_size=1000), epochs=config["epochs"])
    return model, trainer.history.history


def interpolation(model, first, second, steps=10):
    """Decoded images along the straight line between two images' posterior means."""
    with no_grad():
        codes = model.encode(tensor(np.stack([first, second])))[0].numpy()
    weights = np.linspace(0, 1, steps, dtype=np.float32)
    return model.sample(z=(1 - weights[:, None]) * codes[0] + weights[:, None] * codes[1])


def manifold(model, size=15):
    """A size x size grid of digits decoded from a 2-D latent space, z through the quantiles
    5 % .. 95 % of N(0, 1) on each axis (equal steps of probability, as in the paper's figure)."""
    quantiles = [NormalDist().inv_cdf(p) for p in np.linspace(0.05, 0.95, size)]
    grid = np.array([[x, y] for y in quantiles[::-1] for x in quantiles], dtype=np.float32)
    return model.sample(z=grid)


def save_figures(out_dir, history, model, model_2d, test):
    plot_curves(
        {"training -ELBO": history["loss"], "test -ELBO": history["val_loss"]},
        os.path.join(out_dir, "curves.png"),
        xlabel="epoch",
        ylabel="nats per image",
        title="VAE 784-400-20: negative ELBO per image",
    )
    save_image_grid(model.sample(100), os.path.join(out_dir, "samples.png"), columns=10, title="z ~ N(0, I)")
    images, labels = test
    first, second = images[np.argmax(labels == 1)], images[np.argmax(labels == 7)]
    save_image_grid(
        interpolation(model, first, second),
        os.path.join(out_dir, "interpolation.png"),
        columns=10,
        title="from a 1 to a 7 in latent space",
    )
    save_image_grid(
        manifold(model_2d), os.path.join(out_dir, "manifold_2d.png"), columns=15, title="2-D latent space, decoded"
    )


def run(out_dir, quick=False):
    config = {**CONFIG, **(QUICK if quick else {})}
    write_config(out_dir, config)
    train, test = image_arrays(config["dataset"], config["train_limit"], config["test_limit"])
    model, history = train_vae(config, train, test, out_dir, config["latent_dim"])
    print("epoch  train -ELBO  test -ELBO  test reconstruction  test KL  (nats per image)")
    for epoch, row in enumerate(
        zip(history["loss"], history["val_loss"], history["val_reconstruction"], history["val_kl"]), 1
    ):
        print(f"{epoch:5d}  {row[0]:11.2f}  {row[1]:10.2f}  {row[2]:19.2f}  {row[3]:7.2f}")
    config_2d = {**config, "epochs": config["manifold_epochs"]}
    model_2d, history_2d = train_vae(config_2d, train, test, os.path.join(out_dir, "latent_2d"), 2, samples=False)
    print(f"2-D latent space: test -ELBO {history_2d['val_loss'][-1]:.2f} nats per image")
    if pyplot_or_none() is not None:
        save_figures(out_dir, history, model, model_2d, test)
    return {
        "config": config,
        "test_loss_per_image": history["val_loss"][-1],
        "test_reconstruction": history["val_reconstruction"][-1],
        "test_kl": history["val_kl"][-1],
        "history": history,
        "test_loss_2d": history_2d["val_loss"][-1],
    }


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/linear.py LinearFunction, npgrad/textbook/activation.py ReLUFunction
the model and its loss: npgrad/models/vae.py VAE, vae_loss, kl_to_standard_normal and VAETrainer
the run folder: npgrad/train/run_folder.py run_callbacks; samples per epoch: npgrad/metrics/images.py SampleGrids
the page: docs/lessons/vae.md
"""

if __name__ == "__main__":
    main(run)
