"""torch.nn.modules.linear's names."""

from ..linear import Identity, Linear
