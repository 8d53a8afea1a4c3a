"""torch.nn.modules.activation's names."""

from ..activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from ..attention import MultiheadAttention
