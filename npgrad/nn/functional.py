"""The torch.nn.functional surface: every functional op a layer is built from, in one namespace.

The ops themselves live in npgrad.functional, one file a family; this module only gathers them.
"""
from ..functional.activation import (  # noqa: F401
    elu, gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, softplus, tanh)
from ..functional.dropout import dropout  # noqa: F401
from ..functional.linalg import linear  # noqa: F401
from ..functional.loss import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, kl_div, l1_loss, mse_loss,
    nll_loss)
from ..functional.shape import one_hot, pad  # noqa: F401
