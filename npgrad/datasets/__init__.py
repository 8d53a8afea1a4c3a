"""Data sets: real ones read from their standard files (checksums verified), and generated ones.

Real data sets look for their files under a data root: the `root` argument, else the
NPGRAD_DATA environment variable, else ~/.cache/npgrad (see storage.py). MNIST also ships
inside npgrad; MNIST-1D and the toy sets are generated and need no files. The translation
pairs (Tatoeba, Multi30k) are in translation.py, SST-2's sentiment sentences in sst2.py.
"""

from .mnist import MNIST, FashionMNIST, image_arrays
from .mnist1d import MNIST1D, make_mnist1d
from .shakespeare import TinyShakespeare, shakespeare_splits
from .sign_language import SignLanguageMNIST
from .sst2 import SST2
from .storage import CorruptFileError, clear_cache, data_root
from .toy import and_gate, circles, moons, or_gate, spirals, truth_table, xor_gate
from .translation import (
    TUTORIAL_MAX_LENGTH,
    TUTORIAL_PREFIXES,
    Multi30k,
    TatoebaPairs,
    TranslationPairs,
)
from .vision import ImageClassificationDataset
