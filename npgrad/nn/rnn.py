"""Recurrent layers: RNN, LSTM, GRU over whole sequences, and RNNCell, LSTMCell, GRUCell for one step.

Arguments, parameter names and shapes, gate order (LSTM i, f, g, o; GRU r, z, n), default init
(every weight and bias from U(-1/sqrt(H), 1/sqrt(H))), repr and return values are PyTorch's,
so a PyTorch state_dict loads as is. Per layer k and direction (suffix '' or '_reverse'):
weight_ih_l{k} (gates*H, input), weight_hh_l{k} (gates*H, H), bias_ih_l{k}, bias_hh_l{k}.

Variable-length batches: pass the lengths of the padded sequences, `lstm(padded,
lengths=lengths)`, or PyTorch's PackedSequence (npgrad.nn.utils.rnn), which runs that way. The
result equals pad_packed_sequence(lstm(pack_padded_sequence(padded, lengths,
enforce_sorted=False))): outputs are 0 past each sequence's length, the output has max(lengths)
steps, h_n (and c_n) are taken at each sequence's last step, and the reverse direction starts at
each sequence's own last step.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes
from ..functional.dropout import dropout
from ..functional.recurrent import STEPS, cell_step, recurrent_layer
from ..functional.shape import cat, stack
from ..tensor import Tensor
from ..types import ArrayLike, _dtype
from . import init
from .module import Module, options_repr
from .parameter import Parameter
from .utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


def _add_weights(module, mode, input_size, hidden_size, bias, dtype, suffix=""):
    """Register weight_ih, weight_hh (and bias_ih, bias_hh) + suffix, shaped for mode's gates."""
    gate_size = STEPS[mode].n_gates * hidden_size
    shapes = {"weight_ih": (gate_size, input_size), "weight_hh": (gate_size, hidden_size)}
    if bias:
        shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
    for name, shape in shapes.items():
        setattr(module, name + suffix, Parameter(np.empty(shape, dtype)))


def _weights(module, suffix=""):
    """(weight_ih, weight_hh, bias_ih, bias_hh) + suffix, the biases None without bias."""
    return tuple(module._parameters.get(name + suffix) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


def _init_uniform(module):
    """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
    bound = 1 / math.sqrt(module.hidden_size)
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def _elman_mode(name, nonlinearity):
    """'RNN_TANH' or 'RNN_RELU' for an Elman layer or cell, or a ValueError naming it."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: unknown nonlinearity {nonlinearity!r}; select 'tanh' or 'relu'")
    return "RNN_" + nonlinearity.upper()


def _check_sizes(name, input_size, hidden_size):
    for what, size in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(size, int) or size <= 0:
            raise ValueError(f"{name}: {what} must be a positive int, got {size!r}")


def _check_input(module, input, dims, dtype):
    """input has the batched or the unbatched dims named in `dims`, input_size features and the
    weights' dtype; True when it is batched."""
    batched, unbatched = dims
    if input.ndim not in (len(batched), len(unbatched)):
        raise ValueError(
            f"{module!r}: expected a {len(batched)}-D input {batched} or an unbatched "
            f"{len(unbatched)}-D input {unbatched}, got shape {tuple(input.shape)}"
        )
    if input.shape[-1] != module.input_size:
        raise ValueError(
            f"{module!r}: expected input with input_size={module.input_size} features in its "
            f"last dim, got shape {tuple(input.shape)}"
        )
    if input.dtype != dtype:
        raise TypeError(f"{module!r}: expected a {dtype} input like the weights, got {input.dtype}")
    return input.ndim == len(batched)


def _initial_state(module, hx, shape, dtype):
    """hx as a tuple of module.n_states states of `shape` and the weights' dtype (zeros when hx is None)."""
    names = ("h0", "c0")[: module.n_states]
    if hx is None:
        return tuple(np.zeros(shape, dtype) for _ in names)
    wants_pair, is_sequence = module.n_states == 2, isinstance(hx, (tuple, list))
    if wants_pair != is_sequence or (is_sequence and len(hx) != 2):
        expected = "a tuple (h0, c0)" if wants_pair else "one tensor h0"
        raise TypeError(f"{module!r}: expected hx to be {expected}, got {type(hx).__name__}")
    states = tuple(hx) if wants_pair else (hx,)
    for name, state in zip(names, states):
        if tuple(state.shape) != shape:
            raise ValueError(f"{module!r}: expected {name} of shape {shape}, got {tuple(state.shape)}")
        if state.dtype != dtype:
            raise TypeError(f"{module!r}: expected {name} of dtype {dtype} like the weights, got {state.dtype}")
    return states


def _as_returned(module, state):
    """A state tuple as PyTorch returns it: (h, c) for the LSTM, h otherwise."""
    return state if module.n_states == 2 else state[0]


class RNNBase(Module):
    """What RNN, LSTM and GRU share: mode is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size)
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive int, got {num_layers!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout is applied to the outputs of every layer but the last, so "
                f"dropout={dropout} has no effect with num_layers=1",
                stacklevel=3,
            )
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, float(dropout), bidirectional
        self.n_states = STEPS[mode].n_states
        dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for suffix in self._suffixes(layer):
                _add_weights(self, mode, layer_input, hidden_size, bias, dtype, suffix)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer):
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.num_directions]

    def reset_parameters(self) -> None:
        _init_uniform(self)

    def forward(
        self,
        input: Tensor | PackedSequence,
        hx: Tensor | tuple[Tensor, Tensor] | None = None,
        lengths: Tensor | ArrayLike | None = None,
    ) -> tuple[Tensor | PackedSequence, Tensor | tuple[Tensor, Tensor]]:
        """input (T, B, input_size) ((B, T, input_size) with batch_first) or unbatched (T, input_size);
        hx: h0 (or (h0, c0) for the LSTM), each (num_layers * num_directions, B, H), zeros if None;
        lengths: the length of each sequence of a padded batch (see the module docstring).
        Returns output (T, B, num_directions * H) and h_n (or (h_n, c_n) for the LSTM). A
        PackedSequence input gives a PackedSequence output; hx and h_n keep the batch's own order."""
        if isinstance(input, PackedSequence):
            if lengths is not None:
                raise ValueError(
                    f"{type(self).__name__}: a PackedSequence carries its lengths; do not pass lengths too"
                )
            padded, lengths = pad_packed_sequence(input, self.batch_first)
            output, final = self.forward(padded, hx, lengths)
            return pack_padded_sequence(output, lengths, self.batch_first, input.sorted_indices is None), final
        order = ("batch", "seq_len") if self.batch_first else ("seq_len", "batch")
        dims = ((*order, "input_size"), ("seq_len", "input_size"))
        batched = _check_input(self, input, dims, self.weight_ih_l0.dtype)
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)  # the layers work time-major: (T, B, features)
        lengths = self._check_lengths(lengths, x.shape[:2], batched)
        if lengths is not None and lengths.max() < len(x):
            x = x[: int(lengths.max())]  # the steps pad_packed_sequence gives back
        output, final = self._run_layers(x, self._initial_state(hx, x.shape[1], batched, x.dtype), lengths)
        if not batched:
            return output.squeeze(1), _as_returned(self, tuple(s.squeeze(1) for s in final))
        return output.transpose(0, 1) if self.batch_first else output, _as_returned(self, final)

    def _initial_state(self, hx, batch, batched, dtype):
        """hx as a tuple of (num_layers * num_directions, batch, H) states; zeros if hx is None."""
        shape = (self.num_layers * self.num_directions, batch, self.hidden_size)
        state = _initial_state(self, hx, shape if batched else (shape[0], shape[2]), dtype)
        return state if batched else tuple(s.reshape(shape) for s in state)

    def _run_layers(self, x, state, lengths):
        """Every layer and direction in turn; dropout on the inputs of every layer but the first."""
        finals = []
        for layer in range(self.num_layers):
            if layer > 0:
                x = dropout(x, self.dropout, self.training)
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                k = layer * self.num_directions + direction
                output, final = recurrent_layer(
                    self.mode,
                    x,
                    tuple(s[k] for s in state),
                    *_weights(self, suffix),
                    lengths=lengths,
                    reverse=direction == 1,
                )
                outputs.append(output)
                finals.append(final)
            x = cat(outputs, dim=2) if self.bidirectional else outputs[0]
        return x, tuple(stack([f[i] for f in finals]) for i in range(self.n_states))

    def _check_lengths(self, lengths, steps_batch, batched):
        """lengths as an int array with one entry per sequence, each in [1, T]; None stays None."""
        if lengths is None:
            return None
        if not batched:
            raise ValueError(f"{self!r}: lengths needs a batched (3-D) input")
        lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths)
        steps, batch = steps_batch
        if lengths.dtype.kind not in "iu" or lengths.shape != (batch,):
            raise ValueError(
                f"{self!r}: expected lengths to be {batch} ints, one per sequence of the batch, "
                f"got {lengths.dtype} of shape {lengths.shape}"
            )
        if lengths.min() < 1 or lengths.max() > steps:
            raise ValueError(
                f"{self!r}: lengths must be between 1 and the sequence length {steps}, got "
                f"{lengths.min()}..{lengths.max()}"
            )
        return lengths

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch packs the weights into one buffer for cuDNN; NumPy needs no packing."""

    def extra_repr(self) -> str:
        return options_repr(
            self,
            f"{self.input_size}, {self.hidden_size}",
            num_layers=1,
            bias=True,
            batch_first=False,
            dropout=0,
            bidirectional=False,
        )


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__(
            _elman_mode("RNN", nonlinearity),
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype,
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """i, f, o = sigmoid, g = tanh (of x W_i*^T + h W_h*^T + biases); c_t = f c_{t-1} + i g,
    h_t = o tanh(c_t). forward returns (output, (h_n, c_n))."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype)


class GRU(RNNBase):
    """r, z = sigmoid(x W_i*^T + b_i* + h W_h*^T + b_h*), n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),
    h_t = (1 - z) n + z h_{t-1}."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype)


# ------------------------------------------------------------------ single steps
class RNNCellBase(Module):
    """What RNNCell, LSTMCell and GRUCell share: weight_ih, weight_hh, bias_ih, bias_hh."""

    def __init__(
        self, mode: str, input_size: int, hidden_size: int, bias: bool = True, dtype: _dtype | None = None
    ) -> None:
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, bias
        self.n_states = STEPS[mode].n_states
        _add_weights(
            self, mode, input_size, hidden_size, bias, dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_uniform(self)

    def forward(
        self, input: Tensor, hx: Tensor | tuple[Tensor, Tensor] | None = None
    ) -> Tensor | tuple[Tensor, Tensor]:
        """input (B, input_size) or unbatched (input_size,); hx: h (or (h, c)), each (B, H), zeros
        if None. Returns h' (or (h', c'))."""
        batched = _check_input(self, input, (("batch", "input_size"), ("input_size",)), self.weight_ih.dtype)
        x = input if batched else input.unsqueeze(0)
        shape = (x.shape[0], self.hidden_size)
        state = _initial_state(self, hx, shape if batched else shape[1:], x.dtype)
        new_state = cell_step(self.mode, x, tuple(s.reshape(shape) for s in state), *_weights(self))
        if not batched:
            new_state = tuple(s.squeeze(0) for s in new_state)
        return _as_returned(self, new_state)

    def extra_repr(self) -> str:
        return options_repr(self, f"{self.input_size}, {self.hidden_size}", bias=True, nonlinearity="tanh")


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__(_elman_mode("RNNCell", nonlinearity), input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o); forward returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype: _dtype | None = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, bias, dtype)


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype: _dtype | None = None) -> None:
        super().__init__("GRU", input_size, hidden_size, bias, dtype)
