"""The Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words", 2021), sized for
small images such as MNIST's 28x28.

The image is cut into patch_size x patch_size patches (a convolution with that kernel and
stride embeds each one as a dim-vector: 16 patches of 7x7 for 28x28), a learned class token is
put in front, learned position embeddings are added, a pre-norm Transformer encoder (GELU)
mixes the tokens, and the head classifies the class token's final vector. Nothing in it knows
that neighbouring pixels belong together beyond the patch: what a CNN has built in, a ViT must
learn from data.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes, nn
from ..functional.shape import cat
from ..nn import init
from ..tensor import Tensor
from ..types import _size
from ._common import image_shape


class ViT(nn.Module):
    """ViT(image_size=28, patch_size=7, in_channels=1, num_classes=10, dim=64, depth=6, heads=4,
    mlp_dim=128, dropout=0.0): (N, C, H, W) -> logits (N, num_classes).

    Parameters: patch_embedding (Conv2d), class_token (1, 1, dim) (zeros, as in the paper's
    code), pos_embedding (1, patches + 1, dim) from N(0, 0.02^2), encoder (nn.TransformerEncoder
    of norm_first layers with a final LayerNorm), head (Linear)."""

    def __init__(
        self,
        image_size: int = 28,
        patch_size: int = 7,
        in_channels: int = 1,
        num_classes: int = 10,
        dim: int = 64,
        depth: int = 6,
        heads: int = 4,
        mlp_dim: int = 128,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"ViT: image_size must be a multiple of patch_size, got {image_size} and {patch_size}")
        self.image_size, self.in_channels = image_size, in_channels
        patches = (image_size // patch_size) ** 2
        dtype = dtypes.get_default_dtype()
        self.patch_embedding = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)
        self.class_token = nn.Parameter(np.zeros((1, 1, dim), dtype))
        self.pos_embedding = nn.Parameter(np.empty((1, patches + 1, dim), dtype))
        init.normal_(self.pos_embedding, std=0.02)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            dim, heads, mlp_dim, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, depth, norm=nn.LayerNorm(dim))
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"ViT: expected images (N, {', '.join(map(str, expected))}), got shape {tuple(x.shape)}")
        patches = self.patch_embedding(x).flatten(2).transpose(1, 2)  # (N, patches, dim)
        tokens = cat([self.class_token.expand(x.shape[0], -1, -1), patches], dim=1)
        encoded = self.encoder(self.dropout(tokens + self.pos_embedding))
        return self.head(encoded[:, 0])


def vit(
    num_classes: int = 10,
    in_channels: int | None = None,
    *,
    in_shape: _size | None = None,
    patch_size: int = 7,
    dim: int = 64,
    depth: int = 6,
    heads: int = 4,
    mlp_dim: int = 128,
    dropout: float = 0.0,
) -> ViT:
    """A small ViT for square images of in_shape (default (1, 28, 28)), as the zoo builds it."""
    channels, height, width = image_shape("vit", in_shape, in_channels, (1, 28, 28))
    if height != width:
        raise ValueError(f"vit: expected square images, got in_shape {(channels, height, width)}")
    return ViT(height, patch_size, channels, num_classes, dim, depth, heads, mlp_dim, dropout)
