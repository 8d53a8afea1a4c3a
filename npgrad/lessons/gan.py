"""DCGAN on MNIST: samples over epochs, D/G losses, FID per epoch vs the real-data floor; a conditional GAN.

Generative adversarial networks (Goodfellow et al., 2014), DCGAN-style (Radford et al., 2016), and
how FID measures them.

A generator turns noise z ~ N(0, I) (100 numbers) into 28x28 images through transposed
convolutions with batch norm; a discriminator (strided convolutions, LeakyReLU) learns to tell
them from real digits. They train in turn on every batch: D one step towards "real" on real
images and "fake" on generated ones, then G one step towards fooling the updated D, with the
non-saturating loss -log D(G(z)) (its gradient stays large while D still wins easily). The
networks are the `gan` speed workload's; Adam 2e-4, betas (0.5, 0.999), batch 64.

Measured after every epoch: FID between 10,000 generated images and the 10,000 test images,
in the features of the small CNN shipped with npgrad (npgrad.metrics), beside the real-data
floor, FID between 10,000 training images and the test images: what a perfect generator
would score with this sample size. Then a conditional GAN, G and D both told the class,
generates each digit on demand. benchmarks/gan_torch.py trains the same recipe in PyTorch and
scores it with the same extractor.

Run folders like `npgrad train`'s: config.json, metrics.csv (losses, D's outputs, FID),
last.safetensors, samples/epoch_NNN.png, samples.npz (the last epoch's images, for `npgrad fid`).
"""

import os

import numpy as np

from npgrad import manual_seed, optim
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.data import DataLoader, TensorDataset
from npgrad.datasets import image_arrays
from npgrad.lessons import main
from npgrad.metrics import FeatureExtractor, feature_statistics, frechet_distance
from npgrad.metrics.images import SAMPLES_FILE, SampleGrids, save_image_grid, to_unit_range
from npgrad.models import (
    ConditionalDiscriminator,
    ConditionalGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    GANTrainer,
    generate,
)
from npgrad.train import Callback
from npgrad.train.run_folder import run_callbacks, write_config

CONFIG = {
    "dataset": "mnist",
    "latent_dim": 100,
    "lr": 2e-4,
    "betas": (0.5, 0.999),
    "batch_size": 64,
    "epochs": 3,
    "label_smoothing": 0.0,
    "seed": 0,
    "fid_samples": 10_000,
    "train_limit": None,
    "conditional_epochs": 2,
}
QUICK = {"epochs": 2, "conditional_epochs": 1, "train_limit": 384, "fid_samples": 300}


class FIDPerEpoch(Callback):
    """After every epoch: FID of the generator's images for fixed noise against reference
    statistics (mu, sigma), written into the epoch's logs (so metrics.csv has it) and kept."""

    def __init__(self, extractor, reference, z):
        self.extractor, self.reference, self.z, self.values = extractor, reference, z, []

    def on_epoch_end(self, trainer, epoch, logs):
        images = to_unit_range(generate(trainer.model.generator, self.z))
        self.values.append(frechet_distance(*feature_statistics(self.extractor(images)), *self.reference))
        logs["fid"] = self.values[-1]
        print(f"epoch {epoch + 1}: FID {self.values[-1]:.2f}", flush=True)


def real_data_floor(extractor, train_images, reference, n, seed):
    """FID of n random training images against the reference (test) statistics."""
    chosen = np.random.default_rng(seed).choice(len(train_images), n, replace=False)
    return frechet_distance(*feature_statistics(extractor(train_images[chosen])), *reference)


def adam_pair(generator, discriminator, config):
    return (
        optim.Adam(generator.parameters(), lr=config["lr"], betas=config["betas"]),
        optim.Adam(discriminator.parameters(), lr=config["lr"], betas=config["betas"]),
    )


def train_gan(config, train, out_dir, callbacks=(), conditional=False):
    """Train the (conditional) DCGAN on train = (images in [0, 1], labels); returns the trainer."""
    manual_seed(config["seed"])
    if conditional:
        generator, discriminator = ConditionalGenerator(latent_dim=config["latent_dim"]), ConditionalDiscriminator()
    else:
        generator, discriminator = DCGANGenerator(config["latent_dim"]), DCGANDiscriminator()
    trainer = GANTrainer(
        generator,
        discriminator,
        *adam_pair(generator, discriminator, config),
        label_smoothing=config["label_smoothing"],
        callbacks=[*callbacks, *run_callbacks(out_dir)],
    )
    images, labels = train
    loader = DataLoader(
        TensorDataset(images * 2 - 1, labels),
        batch_size=config["batch_size"],
        shuffle=True,
        generator=config["seed"],
        drop_last=True,
    )
    trainer.fit(loader, epochs=config["epochs"])
    return trainer


def fixed_noise(config, n):
    return np.random.default_rng(config["seed"] + 1).standard_normal((n, config["latent_dim"])).astype(np.float32)


def dcgan_run(config, train, test, out_dir):
    """The unconditional DCGAN with FID per epoch; returns its results."""
    write_config(out_dir, config)
    extractor = FeatureExtractor.load(config["dataset"])
    reference = feature_statistics(extractor(test[0][: config["fid_samples"]]))
    floor = real_data_floor(extractor, train[0], reference, config["fid_samples"], config["seed"])
    print(f"real-data floor: FID(train, test) = {floor:.2f} with {config['fid_samples']} images each")
    z = fixed_noise(config, config["fid_samples"])
    fid_callback = FIDPerEpoch(extractor, reference, z)
    grids = SampleGrids(os.path.join(out_dir, "samples"), lambda gan: to_unit_range(generate(gan.generator, z[:100])))
    trainer = train_gan(config, train, out_dir, [fid_callback, grids])
    images = to_unit_range(generate(trainer.model.generator, z))
    np.savez_compressed(os.path.join(out_dir, SAMPLES_FILE), images=np.round(images * 255).astype(np.uint8))
    shares = extractor.class_shares(images)  # mode dropping: classes the generator rarely draws
    print("classes of the generated images (the extractor's classifier): " + ", ".join(f"{s:.1%}" for s in shares))
    history = trainer.history.history
    if pyplot_or_none() is not None:
        plot_gan_curves(history, fid_callback.values, floor, os.path.join(out_dir, "curves.png"), config["dataset"])
    return {
        "fid_per_epoch": fid_callback.values,
        "class_shares": shares.tolist(),
        "real_data_floor": floor,
        "history": history,
        "sample_grids": grids.paths,
    }


def conditional_run(config, train, out_dir):
    """The conditional DCGAN; one row of samples per class."""
    config = {**config, "epochs": config["conditional_epochs"]}
    write_config(out_dir, config)
    trainer = train_gan(config, train, out_dir, conditional=True)
    z, labels = np.tile(fixed_noise(config, 10), (10, 1)), np.repeat(np.arange(10), 10)  # row = class, column = z
    images = to_unit_range(generate(trainer.model.generator, z, labels))
    path = save_image_grid(
        images, os.path.join(out_dir, "samples_per_class.png"), columns=10, title="one row per class, one column per z"
    )
    return {"history": trainer.history.history, "figure": path}


def plot_gan_curves(history, fids, floor, path, dataset):
    """D and G losses per epoch, and FID per epoch against the real-data floor."""
    plt = pyplot_or_none()
    fig, (losses, fid_axis) = plt.subplots(1, 2, figsize=(10, 3.8))
    epochs = np.arange(1, len(fids) + 1)
    for name in ("loss_d", "loss_g"):
        losses.plot(epochs, history[name], marker="o", ms=3, label=name)
    losses.set_xlabel("epoch")
    losses.set_ylabel("mean loss over the epoch")
    losses.legend(fontsize=8)
    fid_axis.plot(epochs, fids, marker="o", ms=3, label="generated vs test")
    fid_axis.axhline(floor, color="k", ls="--", label="train vs test (floor)")
    fid_axis.set_yscale("log")
    fid_axis.set_xlabel("epoch")
    fid_axis.set_ylabel(f"FID ({dataset} feature extractor)")
    fid_axis.legend(fontsize=8)
    return save_figure(fig, path)


def run_gan_lesson(out_dir, quick, dataset, conditional):
    config = {**CONFIG, "dataset": dataset, **(QUICK if quick else {})}
    train, test = image_arrays(dataset, config["train_limit"])
    results = {"config": config, "dcgan": dcgan_run(config, train, test, os.path.join(out_dir, "dcgan"))}
    if conditional:
        results["conditional"] = conditional_run(config, train, os.path.join(out_dir, "conditional"))
    fids = results["dcgan"]["fid_per_epoch"]
    print(
        f"\n{dataset}: FID per epoch {', '.join(f'{value:.2f}' for value in fids)}; "
        f"real-data floor {results['dcgan']['real_data_floor']:.2f}"
    )
    return results


def run(out_dir, quick=False):
    return run_gan_lesson(out_dir, quick, "mnist", conditional=True)


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dIm2colFunction, npgrad/textbook/normalization.py BatchNormFunction
the networks and the training step: npgrad/models/gan.py DCGANGenerator, DCGANDiscriminator, GANTrainer
fast ops: npgrad/functional/conv.py conv_transpose2d, npgrad/functional/loss.py binary_cross_entropy_with_logits
FID: npgrad/metrics/fid.py frechet_distance and feature_statistics, npgrad/metrics/extractor.py FeatureExtractor
the page: docs/lessons/gan.md
"""

if __name__ == "__main__":
    main(run)
