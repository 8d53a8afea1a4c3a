"""The torch.nn.functional surface: every functional op a layer is built from, in one namespace.

The ops themselves live in npgrad.functional, one file a family; this module only gathers them.
"""

from ..functional.activation import (  # noqa: F401
    elu,
    gelu,
    glu,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    tanh,
)
from ..functional.dropout import dropout  # noqa: F401
from ..functional.linalg import linear  # noqa: F401
from ..functional.loss import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    nll_loss,
    pairwise_distance,
    smooth_l1_loss,
    triplet_margin_loss,
)
from ..functional.shape import one_hot, pad  # noqa: F401
from ..functional.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from ..functional.normalization import batch_norm, group_norm, layer_norm  # noqa: F401
from ..functional.attention import scaled_dot_product_attention  # noqa: F401
from ..functional.pooling import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from ..functional.spatial import dropout1d, dropout2d, fold, interpolate, unfold  # noqa: F401
from ..functional.embedding import embedding  # noqa: F401
from ..functional.reduction import cosine_similarity, normalize  # noqa: F401
from ..functional.contrastive import nt_xent  # noqa: F401
