"""torch.utils' and torchvision.utils' names: `npgrad.utils.data` is npgrad.data (so
`from npgrad.utils.data import DataLoader, TensorDataset` works as with torch), and
make_grid / save_image lay out and write batches of images."""

import sys

from .. import data
from .images import make_grid, save_image

sys.modules[__name__ + ".data"] = data  # `import npgrad.utils.data` finds the same module
sys.modules[__name__ + ".data.distributed"] = data.distributed  # torch.utils.data.distributed's path
