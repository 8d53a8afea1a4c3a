"""Datasets, samplers, the DataLoader and image transforms, with PyTorch's names."""

from . import transforms
from .collate import default_collate
from .dataloader import DataLoader
from .distributed import DistributedSampler
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .sampler import RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler
