"""torch.nn.modules.module's names."""

from ..module import Module
