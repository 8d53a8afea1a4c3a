"""torch.nn.modules.flatten's names."""

from ..linear import Flatten, Unflatten
