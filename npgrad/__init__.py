"""npgrad: a deep-learning framework written from first principles on NumPy."""

from . import accelerator, autograd, backends, cuda, dtypes, random
from .devices import device
from .autograd import (
    Function,
    enable_grad,
    gradcheck,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .creation import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .ops import *  # noqa: F401,F403
from .ops import TENSOR_METHODS
from .random import get_rng_state, initial_seed, manual_seed, multinomial, set_rng_state
from .printing import set_printoptions
from .tensor import Tensor, as_tensor, from_numpy, is_tensor, tensor

__version__ = "0.1.0"

from . import data, datasets, io, nn, optim, text, train, utils  # noqa: E402,F401  (after the core: they build on it)
from .analysis.summary import summary  # noqa: E402,F401
from .io import load, save  # noqa: E402,F401
from . import onnx  # noqa: E402,F401  (export(); the onnx package is imported only when it runs)
from . import linalg  # noqa: E402,F401
from . import memory  # noqa: E402

memory.keep_freed_memory_unless_disabled()  # freed arrays stay in the heap for the next step (npgrad/memory.py)
