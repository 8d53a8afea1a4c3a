"""torch.nn.modules' import paths (`from npgrad.nn.modules.conv import Conv2d`,
`isinstance(m, nn.modules.batchnorm._BatchNorm)`), naming the classes of npgrad.nn."""

from ..activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from ..containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from ..conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from ..distance import CosineSimilarity
from ..dropout import Dropout
from ..linear import Flatten, Identity, Linear, Unflatten
from ..loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss
from ..module import Module
from ..normalization import BatchNorm1d, BatchNorm2d, InstanceNorm1d, InstanceNorm2d, LayerNorm
from ..pooling import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from ..rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from ..sparse import Embedding
from ..spatial import Dropout2d, Upsample
from ..attention import MultiheadAttention
from ..transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from . import (
    activation,
    batchnorm,
    container,
    conv,
    distance,
    dropout,
    flatten,
    instancenorm,
    linear,
    loss,
    module,
    normalization,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)
