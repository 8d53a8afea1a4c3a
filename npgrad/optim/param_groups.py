"""Parameter groups for weight decay: decay the weight matrices, leave the vectors alone."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def weight_decay_groups(named_parameters: Iterable[tuple[str, Any]], weight_decay: float) -> list[dict[str, Any]]:
    """Two optimizer parameter groups, as GPT-2, BERT and nanoGPT train: `weight_decay` on the
    parameters of 2 dimensions and more (the Linear and embedding matrices), 0 on those of
    fewer (biases, LayerNorm's weight and bias), since shrinking a bias or a normalisation's
    scale towards 0 is not a useful prior.

        optimizer = optim.AdamW(weight_decay_groups(model.named_parameters(), 0.1), lr=1e-3)

    Works on any (name, parameter) pairs with an `ndim`, PyTorch's included.
    """
    params = list(named_parameters)
    return [
        {"params": [p for _, p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for _, p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
