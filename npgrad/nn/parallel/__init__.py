"""Data parallelism: `DistributedDataParallel(module)` (torch.nn.parallel's name)."""

from .distributed import DistributedDataParallel
