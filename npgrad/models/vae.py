"""Variational autoencoders (Kingma and Welling, 2014): an MLP one as in the classic
784-400-20 set-up (pytorch/examples' vae) and a convolutional one for 28x28 images.

The encoder gives the mean and log-variance of q(z|x); z = mu + eps * exp(logvar / 2) with
eps ~ N(0, I) drawn from npgrad's seeded generator (the reparameterization trick: z is a
differentiable function of mu and logvar); the decoder returns logits of p(x|z). vae_loss is
the negative ELBO: reconstruction (-log p(x|z)) + KL(q(z|x) || N(0, I)), in nats.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from .. import exp, nn, randn, sigmoid, tensor
from ..autograd import no_grad
from ..nn import functional as F
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from ..train.trainer import Trainer, batch_inputs
from ..types import ArrayLike

VAELoss = namedtuple("VAELoss", ["loss", "reconstruction", "kl"])
LIKELIHOODS = ("bernoulli", "gaussian")


class VAE(nn.Module):
    """MLP VAE: input_dim -> hidden_dim (ReLU) -> (mu, logvar) of latent_dim, and back:
    latent_dim -> hidden_dim (ReLU) -> input_dim logits. Layer names as pytorch/examples'."""

    def __init__(self, input_dim: int = 784, hidden_dim: int = 400, latent_dim: int = 20) -> None:
        super().__init__()
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc21 = nn.Linear(hidden_dim, latent_dim)
        self.fc22 = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, input_dim)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(mu, logvar) of q(z|x); x is (N, input_dim) or images with that many pixels."""
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.input_dim:
            raise ValueError(f"VAE: expected inputs of {self.input_dim} values each, got shape {tuple(x.shape)}")
        h = F.relu(self.fc1(x.reshape(x.shape[0], self.input_dim)))
        return self.fc21(h), self.fc22(h)

    def decode(self, z: Tensor) -> Tensor:
        """Logits of p(x|z), (N, input_dim)."""
        return self.fc4(F.relu(self.fc3(z)))

    def reparameterize(self, mu: Tensor, logvar: Tensor, eps: Tensor | None = None) -> Tensor:
        """z = mu + eps * sigma, eps ~ N(0, I) from npgrad's generator unless given."""
        if eps is None:
            eps = randn(*mu.shape)
        return mu + eps * exp(0.5 * logvar)

    def forward(self, x: Tensor, eps: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """(logits of the reconstruction, mu, logvar)."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar

    def sample(self, n: int | None = None, z: ArrayLike | None = None) -> np.ndarray:
        """Images decoded from z (default: n draws from the prior N(0, I)), as probabilities
        (the Bernoulli means), a NumPy array shaped like decode's output."""
        z = randn(n, self.latent_dim) if z is None else tensor(np.asarray(z, dtype=np.float32))
        with no_grad():
            return sigmoid(self.decode(z)).numpy()


class ConvVAE(VAE):
    """Convolutional VAE for (N, channels, 28, 28) images: conv 32 and 64 (4x4, stride 2, ReLU)
    -> mu, logvar; Linear -> 64x7x7 -> transposed convs back to logits of (N, channels, 28, 28)."""

    def __init__(self, latent_dim: int = 16, channels: int = 1) -> None:
        nn.Module.__init__(self)
        self.input_dim, self.latent_dim, self.channels = channels * 28 * 28, latent_dim, channels
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(), nn.Flatten()
        )
        self.fc_mu, self.fc_logvar = nn.Linear(64 * 7 * 7, latent_dim), nn.Linear(64 * 7 * 7, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 64 * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, channels, 4, 2, 1),
        )

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.channels, 28, 28):
            raise ValueError(f"ConvVAE: expected images of shape (N, {self.channels}, 28, 28), got {tuple(x.shape)}")
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z)


def reconstruction_nll(logits: Tensor, x: Tensor, likelihood: str = "bernoulli", sigma: float = 0.1) -> Tensor:
    """-log p(x|z) summed over pixels and the batch, in nats: Bernoulli (binary cross-entropy
    from the logits) or Gaussian with mean sigmoid(logits) and fixed std sigma."""
    logits, x = logits.reshape(logits.shape[0], -1), x.reshape(x.shape[0], -1)
    if likelihood == "bernoulli":
        return F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    if likelihood == "gaussian":
        # -log N(x; m, s^2) = (x - m)^2 / (2 s^2) + log(s sqrt(2 pi))
        constant = x.shape[0] * x.shape[1] * math.log(sigma * math.sqrt(2 * math.pi))
        return F.mse_loss(sigmoid(logits), x, reduction="sum") / (2 * sigma**2) + constant
    raise ValueError(f"vae_loss: likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")


def kl_to_standard_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over the batch: -1/2 sum(1 + logvar - mu^2 - e^logvar)."""
    return -0.5 * (1 + logvar - mu * mu - exp(logvar)).sum()


def vae_loss(
    logits: Tensor, x: Tensor, mu: Tensor, logvar: Tensor, likelihood: str = "bernoulli", sigma: float = 0.1
) -> VAELoss:
    """The negative ELBO summed over the batch, with its parts: VAELoss(loss, reconstruction, kl)
    (Tensors; divide by the batch size for nats per image)."""
    reconstruction = reconstruction_nll(logits, x, likelihood, sigma)
    kl = kl_to_standard_normal(mu, logvar)
    return VAELoss(reconstruction + kl, reconstruction, kl)


class VAETrainer(Trainer):
    """The Trainer with a VAE step: the negative ELBO of the batch's images (the first part of
    a batch (images, ...)) is minimised; logs, per image in nats, loss (-ELBO), reconstruction
    and kl, for training and (eval_step) validation."""

    def __init__(
        self,
        model: VAE,
        optimizer: Optimizer,
        likelihood: str = "bernoulli",
        sigma: float = 0.1,
        **trainer_options: Any,
    ) -> None:
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"VAETrainer: likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        super().__init__(model, optimizer, vae_loss, metrics=None, **trainer_options)
        self.likelihood, self.sigma = likelihood, sigma

    def losses(self, batch: Any) -> tuple[VAELoss, int]:
        x = batch_inputs(batch)[0]
        logits, mu, logvar = self.model(x)
        return vae_loss(logits, x, mu, logvar, self.likelihood, self.sigma), x.shape[0]

    def train_step(self, batch: Any) -> dict[str, float]:
        parts, n = self.losses(batch)
        self.optimizer.zero_grad()
        parts.loss.backward()
        self.clip_gradients()
        self.optimizer.step()
        return per_image(parts, n)

    def eval_step(self, batch: Any) -> dict[str, float]:
        return per_image(*self.losses(batch))


def per_image(parts: VAELoss, n: int) -> dict[str, float]:
    """The loss parts summed over n images -> floats per image."""
    return {name: value.item() / n for name, value in parts._asdict().items()}
