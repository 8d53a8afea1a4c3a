"""DCGAN for 28x28 one-channel images (Radford et al., 2016, sized for MNIST) and its
class-conditional variant (Mirza and Osindero, 2014).

Generator: z -> Linear -> 128x7x7 (BN, ReLU) -> ConvTranspose 128->64, 4x4 stride 2 (BN, ReLU)
-> ConvTranspose 64->channels, 4x4 stride 2 -> tanh: images in [-1, 1].
Discriminator: conv channels->64, 4x4 stride 2 (LeakyReLU 0.2) -> conv 64->128, 4x4 stride 2
(BN, LeakyReLU 0.2) -> Linear -> one logit (train it with binary_cross_entropy_with_logits).
The conditional pair sees the class too: the generator gets a label embedding beside z, the
discriminator a label embedding spread over one more 28x28 input channel.
"""
from .. import cat, nn, tanh
from ..nn import functional as F

IMAGE_SIZE = 28


def check_latent(layer, z, latent_dim):
    if z.ndim != 2 or z.shape[1] != latent_dim:
        raise ValueError(f"{layer}: expected latent vectors of shape (N, {latent_dim}), got {tuple(z.shape)}")


def check_images(layer, x, channels):
    expected = (channels, IMAGE_SIZE, IMAGE_SIZE)
    if x.ndim != 4 or tuple(x.shape[1:]) != expected:
        raise ValueError(f"{layer}: expected images of shape (N, {channels}, {IMAGE_SIZE}, {IMAGE_SIZE}), "
                         f"got {tuple(x.shape)}")


def check_labels(layer, labels, batch, num_classes):
    if labels.ndim != 1 or labels.shape[0] != batch:
        raise ValueError(f"{layer}: expected {batch} class labels of shape ({batch},), got {tuple(labels.shape)}")
    if labels.shape[0] and (labels.min().item() < 0 or labels.max().item() >= num_classes):
        raise ValueError(f"{layer}: labels must be in [0, {num_classes}), got {labels.min().item()}..{labels.max().item()}")


class DCGANGenerator(nn.Module):
    """(N, latent_dim) noise -> (N, channels, 28, 28) images in [-1, 1]."""

    def __init__(self, latent_dim=100, channels=1, input_features=None):
        super().__init__()
        self.latent_dim, self.channels = latent_dim, channels
        self.fc = nn.Linear(input_features or latent_dim, 128 * 7 * 7)
        self.bn0 = nn.BatchNorm2d(128)
        self.dc1 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.dc2 = nn.ConvTranspose2d(64, channels, 4, 2, 1)

    def forward(self, z):
        check_latent(type(self).__name__, z, self.fc.in_features)
        return self.body(z)

    def body(self, features):
        x = F.relu(self.bn0(self.fc(features).view(-1, 128, 7, 7)))
        x = F.relu(self.bn1(self.dc1(x)))
        return tanh(self.dc2(x))


class DCGANDiscriminator(nn.Module):
    """(N, channels, 28, 28) images -> (N, 1) logits of "real"."""

    def __init__(self, channels=1):
        super().__init__()
        self.channels = channels
        self.c1 = nn.Conv2d(channels, 64, 4, 2, 1)
        self.c2 = nn.Conv2d(64, 128, 4, 2, 1)
        self.bn = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128 * 7 * 7, 1)

    def forward(self, x):
        check_images(type(self).__name__, x, self.c1.in_channels)
        return self.body(x)

    def body(self, x):
        x = F.leaky_relu(self.c1(x), 0.2)
        x = F.leaky_relu(self.bn(self.c2(x)), 0.2)
        return self.fc(x.flatten(1))


class ConditionalGenerator(DCGANGenerator):
    """(noise (N, latent_dim), labels (N,)) -> images of those classes: the DCGAN generator on
    [z, embedding(label)]."""

    def __init__(self, num_classes=10, latent_dim=100, channels=1, embedding_dim=10):
        super().__init__(latent_dim, channels, input_features=latent_dim + embedding_dim)
        self.num_classes = num_classes
        self.label_embedding = nn.Embedding(num_classes, embedding_dim)

    def forward(self, z, labels):
        check_latent(type(self).__name__, z, self.latent_dim)
        check_labels(type(self).__name__, labels, z.shape[0], self.num_classes)
        return self.body(cat([z, self.label_embedding(labels)], dim=1))


class ConditionalDiscriminator(DCGANDiscriminator):
    """(images (N, channels, 28, 28), labels (N,)) -> (N, 1) logits of "a real image of this
    class": the DCGAN discriminator with the label's embedding as one more input channel."""

    def __init__(self, num_classes=10, channels=1):
        super().__init__(channels + 1)
        self.channels, self.num_classes = channels, num_classes
        self.label_embedding = nn.Embedding(num_classes, IMAGE_SIZE * IMAGE_SIZE)

    def forward(self, x, labels):
        check_images(type(self).__name__, x, self.channels)
        check_labels(type(self).__name__, labels, x.shape[0], self.num_classes)
        label_plane = self.label_embedding(labels).view(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        return self.body(cat([x, label_plane], dim=1))
