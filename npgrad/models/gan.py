"""DCGAN for 28x28 one-channel images (Radford et al., 2016, sized for MNIST) and its
class-conditional variant (Mirza and Osindero, 2014).

Generator: z -> Linear -> 128x7x7 (BN, ReLU) -> ConvTranspose 128->64, 4x4 stride 2 (BN, ReLU)
-> ConvTranspose 64->channels, 4x4 stride 2 -> tanh: images in [-1, 1].
Discriminator: conv channels->64, 4x4 stride 2 (LeakyReLU 0.2) -> conv 64->128, 4x4 stride 2
(BN, LeakyReLU 0.2) -> Linear -> one logit (train it with binary_cross_entropy_with_logits).
The conditional pair sees the class too: the generator gets a label embedding beside z, the
discriminator a label embedding spread over one more 28x28 input channel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import cat, full, nn, ones, randn, sigmoid, tanh, tensor, zeros
from ..autograd import no_grad
from ..nn.module import eval_mode
from ..nn import functional as F
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from ..train.trainer import Trainer, batch_inputs
from ..types import ArrayLike

IMAGE_SIZE = 28


def check_latent(layer: str, z: Tensor, latent_dim: int) -> None:
    if z.ndim != 2 or z.shape[1] != latent_dim:
        raise ValueError(f"{layer}: expected latent vectors of shape (N, {latent_dim}), got {tuple(z.shape)}")


def check_images(layer: str, x: Tensor, channels: int) -> None:
    expected = (channels, IMAGE_SIZE, IMAGE_SIZE)
    if x.ndim != 4 or tuple(x.shape[1:]) != expected:
        raise ValueError(
            f"{layer}: expected images of shape (N, {channels}, {IMAGE_SIZE}, {IMAGE_SIZE}), got {tuple(x.shape)}"
        )


def check_labels(layer: str, labels: Tensor, batch: int, num_classes: int) -> None:
    if labels.ndim != 1 or labels.shape[0] != batch:
        raise ValueError(f"{layer}: expected {batch} class labels of shape ({batch},), got {tuple(labels.shape)}")
    if labels.shape[0] and (labels.min().item() < 0 or labels.max().item() >= num_classes):
        raise ValueError(
            f"{layer}: labels must be in [0, {num_classes}), got {labels.min().item()}..{labels.max().item()}"
        )


class DCGANGenerator(nn.Module):
    """(N, latent_dim) noise -> (N, channels, 28, 28) images in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, channels: int = 1, input_features: int | None = None) -> None:
        super().__init__()
        self.latent_dim, self.channels = latent_dim, channels
        self.fc = nn.Linear(input_features or latent_dim, 128 * 7 * 7)
        self.bn0 = nn.BatchNorm2d(128)
        self.dc1 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.dc2 = nn.ConvTranspose2d(64, channels, 4, 2, 1)

    def forward(self, z: Tensor) -> Tensor:
        check_latent(type(self).__name__, z, self.fc.in_features)
        return self.body(z)

    def body(self, features: Tensor) -> Tensor:
        x = F.relu(self.bn0(self.fc(features).view(-1, 128, 7, 7)))
        x = F.relu(self.bn1(self.dc1(x)))
        return tanh(self.dc2(x))


class DCGANDiscriminator(nn.Module):
    """(N, channels, 28, 28) images -> (N, 1) logits of "real"."""

    def __init__(self, channels: int = 1) -> None:
        super().__init__()
        self.channels = channels
        self.c1 = nn.Conv2d(channels, 64, 4, 2, 1)
        self.c2 = nn.Conv2d(64, 128, 4, 2, 1)
        self.bn = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128 * 7 * 7, 1)

    def forward(self, x: Tensor) -> Tensor:
        check_images(type(self).__name__, x, self.c1.in_channels)
        return self.body(x)

    def body(self, x: Tensor) -> Tensor:
        x = F.leaky_relu(self.c1(x), 0.2)
        x = F.leaky_relu(self.bn(self.c2(x)), 0.2)
        return self.fc(x.flatten(1))


class ConditionalGenerator(DCGANGenerator):
    """(noise (N, latent_dim), labels (N,)) -> images of those classes: the DCGAN generator on
    [z, embedding(label)]."""

    def __init__(
        self, num_classes: int = 10, latent_dim: int = 100, channels: int = 1, embedding_dim: int = 10
    ) -> None:
        super().__init__(latent_dim, channels, input_features=latent_dim + embedding_dim)
        self.num_classes = num_classes
        self.label_embedding = nn.Embedding(num_classes, embedding_dim)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:  # type: ignore[override]  # takes the labels too
        check_latent(type(self).__name__, z, self.latent_dim)
        check_labels(type(self).__name__, labels, z.shape[0], self.num_classes)
        return self.body(cat([z, self.label_embedding(labels)], dim=1))


class ConditionalDiscriminator(DCGANDiscriminator):
    """(images (N, channels, 28, 28), labels (N,)) -> (N, 1) logits of "a real image of this
    class": the DCGAN discriminator with the label's embedding as one more input channel."""

    def __init__(self, num_classes: int = 10, channels: int = 1) -> None:
        super().__init__(channels + 1)
        self.channels, self.num_classes = channels, num_classes
        self.label_embedding = nn.Embedding(num_classes, IMAGE_SIZE * IMAGE_SIZE)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:  # type: ignore[override]  # takes the labels too
        check_images(type(self).__name__, x, self.channels)
        check_labels(type(self).__name__, labels, x.shape[0], self.num_classes)
        label_plane = self.label_embedding(labels).view(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        return self.body(cat([x, label_plane], dim=1))


class GAN(nn.Module):
    """A generator and its discriminator as one module: one state_dict, one checkpoint; calling
    it generates."""

    def __init__(self, generator: DCGANGenerator, discriminator: DCGANDiscriminator) -> None:
        super().__init__()
        self.generator, self.discriminator = generator, discriminator

    def forward(self, *inputs: Tensor) -> Tensor:
        return self.generator(*inputs)


class GANOptimizers:
    """The discriminator's and the generator's optimizers, saved and restored together in
    Trainer checkpoints; param_groups (the learning rate the Trainer logs) are the generator's."""

    def __init__(self, discriminator: Optimizer, generator: Optimizer) -> None:
        self.discriminator, self.generator = discriminator, generator

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.generator.param_groups

    def state_dict(self) -> dict[str, Any]:
        return {"discriminator": self.discriminator.state_dict(), "generator": self.generator.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.discriminator.load_state_dict(state["discriminator"])
        self.generator.load_state_dict(state["generator"])


class GANTrainer(Trainer):
    """The Trainer with a GAN step: per batch of real images (a batch (images,) or (images,
    labels); the labels condition a ConditionalGenerator/Discriminator pair), one discriminator
    update on real and generated images, then one generator update with the non-saturating
    loss -log D(G(z)) (Goodfellow et al., 2014) on the same generated batch. label_smoothing s
    trains D towards 1 - s on real images (one-sided smoothing, Salimans et al., 2016).
    Logs per batch: loss_d, loss_g and D's mean probability of "real" on real and fake images."""

    model: GAN
    optimizer: GANOptimizers  # type: ignore[assignment]  # an Optimizer to the Trainer: param_groups, state_dict

    def __init__(
        self,
        generator: DCGANGenerator,
        discriminator: DCGANDiscriminator,
        optimizer_g: Optimizer,
        optimizer_d: Optimizer,
        label_smoothing: float = 0.0,
        **trainer_options: Any,
    ) -> None:
        super().__init__(
            GAN(generator, discriminator),
            GANOptimizers(optimizer_d, optimizer_g),  # type: ignore[arg-type]  # serves as one Optimizer
            F.binary_cross_entropy_with_logits,
            metrics=None,
            **trainer_options,
        )
        self.conditional = isinstance(generator, ConditionalGenerator)
        self.real_target = 1.0 - label_smoothing

    def generate_for(self, batch: Any) -> tuple[Tensor, tuple[Tensor, ...], Tensor]:
        """(real images, conditions, generated images) for a batch."""
        inputs = batch_inputs(batch)
        conditions = (batch[-1],) if self.conditional else ()
        generator = self.model.generator
        return inputs[0], conditions, generator(randn(inputs[0].shape[0], generator.latent_dim), *conditions)

    def discriminator_loss(
        self, real: Tensor, fake: Tensor, conditions: tuple[Tensor, ...]
    ) -> tuple[Tensor, dict[str, float]]:
        """BCE of D on real images (target 1 - label_smoothing) and on fake ones (target 0),
        with D's mean probability of "real" on each."""
        n, discriminator = real.shape[0], self.model.discriminator
        real_logits, fake_logits = discriminator(real, *conditions), discriminator(fake.detach(), *conditions)
        loss = self.loss_fn(real_logits, full((n, 1), self.real_target)) + self.loss_fn(fake_logits, zeros(n, 1))
        return loss, {"d_real": sigmoid(real_logits).mean().item(), "d_fake": sigmoid(fake_logits).mean().item()}

    def generator_loss(self, fake: Tensor, conditions: tuple[Tensor, ...]) -> Tensor:
        """The non-saturating loss: BCE of D(G(z)) against 1, i.e. -log D(G(z))."""
        return self.loss_fn(self.model.discriminator(fake, *conditions), ones(fake.shape[0], 1))

    def train_step(self, batch: Any) -> dict[str, float]:
        real, conditions, fake = self.generate_for(batch)
        loss_d, logs = self.discriminator_loss(real, fake, conditions)
        self.update(self.optimizer.discriminator, loss_d)
        loss_g = self.generator_loss(fake, conditions)  # through the updated D
        self.update(self.optimizer.generator, loss_g)
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item(), **logs}

    def update(self, optimizer: Optimizer, loss: Tensor) -> None:
        optimizer.zero_grad()  # also drops what the other network's loss left here
        loss.backward()
        self.clip_gradients()
        optimizer.step()

    def eval_step(self, batch: Any) -> dict[str, float]:
        real, conditions, fake = self.generate_for(batch)
        loss_d, logs = self.discriminator_loss(real, fake, conditions)
        return {"loss_d": loss_d.item(), "loss_g": self.generator_loss(fake, conditions).item(), **logs}


def generate(
    generator: DCGANGenerator, z: ArrayLike, labels: ArrayLike | None = None, batch_size: int = 500
) -> np.ndarray:
    """The generator's images (NumPy, [-1, 1]) for noise z (and labels), in eval mode without
    gradients, batch_size at a time."""
    z = np.asarray(z, dtype=np.float32)
    labels = None if labels is None else np.asarray(labels, dtype=np.int64)
    parts = []
    with eval_mode(generator), no_grad():
        for start in range(0, len(z), batch_size):
            conditions = () if labels is None else (tensor(labels[start : start + batch_size]),)
            parts.append(generator(tensor(z[start : start + batch_size]), *conditions).numpy())
    return np.concatenate(parts)
