"""torch.nn.modules' import paths (`from npgrad.nn.modules.conv import Conv2d`,
`isinstance(m, nn.modules.batchnorm._BatchNorm)`), naming the classes of npgrad.nn."""
from ..activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh  # noqa: F401
from ..containers import ModuleDict, ModuleList, Sequential  # noqa: F401
from ..conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: F401
from ..dropout import Dropout  # noqa: F401
from ..linear import Flatten, Identity, Linear, Unflatten  # noqa: F401
from ..loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss  # noqa: F401
from ..module import Module  # noqa: F401
from ..normalization import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: F401
from ..pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d  # noqa: F401
from ..rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: F401
from ..sparse import Embedding  # noqa: F401
from ..spatial import Dropout2d, Upsample  # noqa: F401
from ..attention import MultiheadAttention  # noqa: F401
from ..transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,  # noqa: F401
                           TransformerEncoderLayer)
from . import (activation, batchnorm, container, conv, dropout, flatten, linear, loss, module,  # noqa: F401
               normalization, pooling, rnn, sparse, transformer, upsampling)
