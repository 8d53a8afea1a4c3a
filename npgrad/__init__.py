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
from .random import Generator, bernoulli, get_rng_state, initial_seed, manual_seed, multinomial, normal, set_rng_state
from .printing import set_printoptions
from .tensor import Tensor, as_tensor, from_numpy, is_tensor, tensor
from . import _tensor_methods

_tensor_methods.install(Tensor)  # x + y, x.sum() ...: tensor.py itself imports no op

# The tensor ops at the top level, as torch has them (npgrad.add, npgrad.sum ...); the other
# functions are in npgrad.nn.functional, the layers in npgrad.nn.
from .functional.activation import log_softmax, relu, sigmoid, softmax, tanh  # noqa: E402
from .functional.elementwise import (  # noqa: E402
    abs,
    add,
    allclose,
    clamp,
    clip,
    cos,
    div,
    eq,
    equal,
    exp,
    expm1,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    reciprocal,
    rsqrt,
    sign,
    sin,
    sqrt,
    square,
    sub,
    where,
)
from .functional.indexing import diag  # noqa: E402
from .functional.linalg import bmm, dot, einsum, matmul, mm, mv, outer  # noqa: E402
from .functional.recurrent import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell  # noqa: E402
from .functional.reduction import (  # noqa: E402
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    bincount,
    count_nonzero,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    nonzero,
    norm,
    prod,
    sort,
    std,
    sum,
    topk,
    unique,
    var,
)
from .functional.shape import (  # noqa: E402
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    flatten,
    flip,
    gather,
    hstack,
    index_select,
    masked_fill,
    meshgrid,
    movedim,
    narrow,
    permute,
    reshape,
    roll,
    scatter,
    scatter_add,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    tril,
    triu,
    unbind,
    unsqueeze,
    vstack,
)

__version__ = "0.1.0"

from . import data, datasets, io, nn, optim, text, train, utils  # noqa: E402,F401  (after the core: they build on it)
from .analysis.summary import summary  # noqa: E402,F401
from .io import load, save  # noqa: E402,F401
from . import onnx  # noqa: E402,F401  (export(); the onnx package is imported only when it runs)
from . import linalg  # noqa: E402,F401
from . import memory  # noqa: E402

memory.keep_freed_memory_unless_disabled()  # freed arrays stay in the heap for the next step (npgrad/memory.py)
