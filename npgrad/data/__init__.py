"""Datasets, samplers, the DataLoader and image transforms, with PyTorch's names."""
from . import transforms  # noqa: F401
from .collate import default_collate  # noqa: F401
from .dataloader import DataLoader  # noqa: F401
from .distributed import DistributedSampler  # noqa: F401
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split  # noqa: F401
from .sampler import RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler  # noqa: F401
