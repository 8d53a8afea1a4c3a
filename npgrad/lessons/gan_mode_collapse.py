"""Mode collapse on 8 Gaussians on a ring: a GAN vs PacGAN (D sees packs of 4), 3 seeds.

Mode collapse, the GAN failure the losses do not show.

The data are 8 Gaussians on a ring (radius 2, std 0.02), the toy on which mode collapse is
usually shown (Metz et al., 2017): every sample belongs to one of 8 clearly separated modes, so
which modes the generator covers can be counted. Nothing in the GAN objective asks the
generator for variety: it is rewarded for every sample the discriminator takes for real, and
the discriminator judges one sample at a time. A generator that puts all its mass on the one
mode D currently believes in is at a local optimum of its own loss; D then learns that this
mode is fake, G moves on to another one, and the pair chases each other around the ring
instead of G spreading out.

The remedy shown is PacGAN (Lin et al., 2018): the discriminator judges packs of m samples at
once (their coordinates concatenated), all real or all generated. A pack of m samples from a
collapsed generator looks nothing like a pack of m real ones (those lie on m different modes
most of the time), so D can punish a lack of variety that it could not see sample by sample.
Everything else is identical: networks, optimizer, batches and seeds.

Measured after every epoch on 2,000 generated points: modes covered (a mode counts when at
least 1 % of the points lie within 3 std of its centre, 20 points) and the share of
high-quality points (within 3 std of some mode), the measures of Srivastava et al., 2017.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, optim
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.data import DataLoader, TensorDataset
from npgrad.models import GANTrainer, generate
from npgrad.lessons import main
from npgrad.train import Callback
from npgrad.utils.progress import progress

CONFIG = {
    "modes": 8,
    "radius": 2.0,
    "std": 0.02,
    "latent_dim": 256,
    "hidden": 128,
    "samples": 65_536,
    "batch_size": 512,
    "epochs": 100,
    "lr": 1e-4,
    "betas": (0.5, 0.999),
    "pack": 4,
    "eval_points": 2_000,
    "seeds": [0, 1, 2],
}
QUICK = {"samples": 8_192, "epochs": 3, "lr": 1e-3, "seeds": [0]}


def ring_centres(modes, radius):
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ring_samples(n, config, rng):
    """n points: a mode chosen uniformly, then its Gaussian."""
    centres = ring_centres(config["modes"], config["radius"])
    chosen = rng.integers(0, config["modes"], n)
    return (centres[chosen] + config["std"] * rng.standard_normal((n, 2))).astype(np.float32)


def distances_to_modes(points, config):
    """(N, modes): each point's distance to each mode's centre."""
    centres = ring_centres(config["modes"], config["radius"])
    return np.linalg.norm(points[:, None, :] - centres[None], axis=2)


def distance_to_ring(points, config):
    """Mean distance of the points to their nearest mode's centre."""
    return float(distances_to_modes(points, config).min(axis=1).mean())


def mode_coverage(points, config):
    """(modes covered, share of high-quality points): a point is high-quality within 3 std of a
    centre; a mode is covered when at least 1 % of the points are high-quality points of it."""
    distances = distances_to_modes(points, config)
    nearest, close = distances.argmin(axis=1), distances.min(axis=1) <= 3 * config["std"]
    counts = np.bincount(nearest[close], minlength=config["modes"])
    return int((counts >= 0.01 * len(points)).sum()), float(close.mean())


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim, hidden):
        super().__init__()
        self.latent_dim = latent_dim  # GANTrainer draws z of this size
        self.body = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2)
        )

    def forward(self, z):
        return self.body(z)


class PackedDiscriminator(nn.Module):
    """D on packs of `pack` points (their coordinates side by side); pack=1 is the usual D. Each
    pack's logit is returned once per point of the pack, so the batch's targets are unchanged:
    the mean BCE over the batch equals the mean over packs."""

    def __init__(self, hidden, pack=1):
        super().__init__()
        self.pack = pack
        self.body = nn.Sequential(
            nn.Linear(2 * pack, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, points):
        n = points.shape[0]
        if n % self.pack:
            raise ValueError(f"PackedDiscriminator: a batch of {n} points does not split into packs of {self.pack}")
        logits = self.body(points.reshape(n // self.pack, 2 * self.pack))  # (n / pack, 1)
        return logits.expand(n // self.pack, self.pack).reshape(n, 1)


class Coverage(Callback):
    """Modes covered and high-quality share of the generator's points for fixed z, every epoch,
    and their mean distance to the nearest mode (also before training)."""

    def __init__(self, z, config, bar=None):
        self.z, self.config, self.modes, self.quality, self.distance, self.snapshots = z, config, [], [], [], []
        self.distance_before, self.bar = None, bar

    def on_train_begin(self, trainer, logs):
        self.distance_before = distance_to_ring(generate(trainer.model.generator, self.z), self.config)

    def on_epoch_end(self, trainer, epoch, logs):
        points = generate(trainer.model.generator, self.z)
        modes, quality = mode_coverage(points, self.config)
        self.modes.append(modes)
        self.quality.append(quality)
        self.distance.append(distance_to_ring(points, self.config))
        self.snapshots.append(points[:500])
        logs.update(modes_covered=modes, high_quality=quality)
        if self.bar is not None:
            self.bar.update(1)


def train_toy_gan(config, seed, pack, bar=None):
    """Train one GAN on the ring (D on packs of `pack`); returns its Coverage record."""
    rng = np.random.default_rng(seed)
    data = ring_samples(config["samples"], config, rng)
    z = rng.standard_normal((config["eval_points"], config["latent_dim"])).astype(np.float32)
    manual_seed(seed)
    generator = MLPGenerator(config["latent_dim"], config["hidden"])
    discriminator = PackedDiscriminator(config["hidden"], pack)
    optimizers = [
        optim.Adam(m.parameters(), lr=config["lr"], betas=config["betas"]) for m in (generator, discriminator)
    ]
    coverage = Coverage(z, config, bar)
    trainer = GANTrainer(generator, discriminator, *optimizers, callbacks=[coverage])
    loader = DataLoader(
        TensorDataset(data), batch_size=config["batch_size"], shuffle=True, generator=seed, drop_last=True
    )
    trainer.fit(loader, epochs=config["epochs"])
    return coverage


def print_table(results, config):
    print(f"\nmodes covered (of {config['modes']}) and high-quality share after each epoch, per seed")
    for name, runs in results.items():
        for seed, run in zip(config["seeds"], runs):
            modes = " ".join(f"{m}" for m in run.modes)
            print(f"  {name:10s} seed {seed}: modes {modes} | high quality {run.quality[-1]:.2f}")
        final = [run.modes[-1] for run in runs]
        print(f"  {name:10s} final modes covered: mean {np.mean(final):.1f} (min {min(final)}, max {max(final)})")


def plot_snapshots(results, config, path):
    """The first seed's generated points at five epochs, one row per discriminator."""
    plt = pyplot_or_none()
    epochs = sorted({round(e) - 1 for e in np.linspace(config["epochs"] / 10, config["epochs"], 5)})
    fig, axes = plt.subplots(len(results), len(epochs), figsize=(2.6 * len(epochs), 2.7 * len(results)), squeeze=False)
    centres = ring_centres(config["modes"], config["radius"])
    for row, (name, runs) in enumerate(results.items()):
        for col, epoch in enumerate(epochs):
            axis = axes[row][col]
            axis.scatter(*centres.T, s=60, facecolors="none", edgecolors="k", linewidths=0.8)
            axis.scatter(*runs[0].snapshots[epoch].T, s=2, alpha=0.5)
            axis.set(xlim=(-2.8, 2.8), ylim=(-2.8, 2.8), xticks=[], yticks=[], aspect="equal")
            axis.set_title(f"{name}, epoch {epoch + 1}: {runs[0].modes[epoch]} modes", fontsize=8)
    return save_figure(fig, path)


def plot_coverage(results, config, path):
    """Modes covered after every epoch, one line a seed, one panel per discriminator."""
    plt = pyplot_or_none()
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.2), sharey=True, squeeze=False)
    epochs = np.arange(1, config["epochs"] + 1)
    for axis, (name, runs) in zip(axes[0], results.items()):
        for seed, run in zip(config["seeds"], runs):
            axis.plot(epochs, run.modes, lw=1, label=f"seed {seed}")
        axis.set(title=name, xlabel="epoch", ylim=(-0.3, config["modes"] + 0.3))
        axis.legend(fontsize=7)
    axes[0][0].set_ylabel(f"modes covered (of {config['modes']})")
    return save_figure(fig, path)


def run(out_dir, quick=False):
    config = {**CONFIG, **(QUICK if quick else {})}
    bar = progress(total=2 * len(config["seeds"]) * config["epochs"], desc="GAN and PacGAN", unit="epoch")
    results = {
        name: [train_toy_gan(config, seed, pack, bar) for seed in config["seeds"]]
        for name, pack in (("GAN", 1), (f"PacGAN-{config['pack']}", config["pack"]))
    }
    bar.close()
    print_table(results, config)
    os.makedirs(out_dir, exist_ok=True)
    figures = []
    if pyplot_or_none() is not None:
        figures = [
            plot_snapshots(results, config, os.path.join(out_dir, "mode_collapse.png")),
            plot_coverage(results, config, os.path.join(out_dir, "modes_covered.png")),
        ]
    return {
        "config": config,
        "figures": figures,
        **{
            name: {
                "modes": [r.modes for r in runs],
                "high_quality": [r.quality for r in runs],
                "distance": [[r.distance_before, *r.distance] for r in runs],
            }
            for name, runs in results.items()
        },
    }


READ_NEXT = """
the networks and the measures: npgrad/lessons/gan_mode_collapse.py PackedDiscriminator and mode_coverage
the training step: npgrad/models/gan.py GANTrainer (D a step, then G a step, non-saturating loss)
the loss: npgrad/functional/loss.py binary_cross_entropy_with_logits
the page: docs/lessons/gan-mode-collapse.md
"""

if __name__ == "__main__":
    main(run)
