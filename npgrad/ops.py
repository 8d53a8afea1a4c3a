"""The tensor operations in one namespace, and the table that makes them Tensor methods."""

from .functional.elementwise import (  # noqa: F401
    abs,
    add,
    allclose,
    cast,
    clamp,
    clip,
    cos,
    div,
    eq,
    exp,
    ge,
    gt,
    isfinite,
    isnan,
    le,
    log,
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
    sign,
    sin,
    sqrt,
    square,
    sub,
    where,
)
from .functional.activation import log_softmax, relu, sigmoid, softmax, tanh  # noqa: F401
from .functional.indexing import index_put  # noqa: F401
from .functional.linalg import bmm, einsum, matmul  # noqa: F401
from .random import multinomial  # noqa: F401
from .functional.reduction import (  # noqa: F401
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    norm,
    sort,
    std,
    sum,
    topk,
    var,
)
from .functional.shape import (  # noqa: F401
    cat,
    chunk,
    concat,
    concatenate,
    expand,
    expand_as,
    flatten,
    gather,
    index,
    index_select,
    masked_fill,
    narrow,
    one_hot,
    pad,
    permute,
    repeat,
    reshape,
    scatter,
    scatter_add,
    split,
    squeeze,
    stack,
    transpose,
    tril,
    triu,
    unbind,
    unsqueeze,
    view,
)

# x.name(*args) is name(x, *args) for every name here.
TENSOR_METHODS = (
    "add sub mul div pow neg exp log sqrt abs sin cos square clamp clip maximum minimum sign "
    "eq ne lt le gt ge logical_and logical_or logical_not isnan isfinite "
    "sum mean max min amax amin var std norm logsumexp argmax argmin all any sort argsort topk cumsum "
    "reshape view flatten squeeze unsqueeze permute transpose expand expand_as narrow "
    "split chunk unbind masked_fill gather index_select repeat scatter scatter_add tril triu multinomial matmul bmm relu sigmoid tanh softmax log_softmax"
).split()


def install_tensor_methods(cls):
    for name in TENSOR_METHODS:
        setattr(cls, name, globals()[name])
    cls.view_as = lambda self, other: reshape(self, other.shape)
    cls.reshape_as = cls.view_as
