"""Recurrent layers: Elman RNN (tanh or ReLU), LSTM and GRU, with PyTorch's gate layouts.

A layer over a sequence x (T, B, I) works in two parts. First the input-to-hidden products
of all time steps, gates_x = x W_ih^T + b_ih, as one GEMM (the `linear` op). Then the
recurrence: at every step t, gates_h = h_{t-1} W_hh^T + b_hh (one GEMM for all gates) and the
cell's arithmetic on gates_x[t] and gates_h give the new state. `RecurrenceFunction` is that loop, one
Function for all steps: its backward runs the steps in reverse (backpropagation through time)
and collects dL/dW_hh = sum_t dgates_h[t]^T h_{t-1} in one GEMM at the end.

The arithmetic of one step of each cell lives in a small class (RNNTanhStep, RNNReLUStep,
LSTMStep, GRUStep) with `forward` and `backward` on arrays; the single-step cells
(rnn_tanh_cell, lstm_cell, ...) are a RecurrenceFunction over a sequence of length one.

Variable lengths: with `lengths` (one per batch element), a sequence's state stops changing
after its last step and its outputs there are 0; run in reverse, a sequence starts from the
initial state at its own last step. This is what PyTorch computes on a packed sequence.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function
from ..backends import numba as numba_backend
from ..tensor import Tensor
from .linalg import linear

_TANH_AFFINE = {"sigmoid": (0.5, 0.5), "tanh": (1, 0)}  # f(a) = scale tanh(scale a) + shift


@functools.lru_cache
def _gate_affine(activations, size, dtype):
    """(scale, shift) for every column of gate blocks of `size` columns with these activations."""
    scale = np.repeat(np.array([_TANH_AFFINE[a][0] for a in activations], dtype), size)
    shift = np.repeat(np.array([_TANH_AFFINE[a][1] for a in activations], dtype), size)
    scale.flags.writeable = shift.flags.writeable = False  # cached: shared by every call
    return scale, shift


def _activate_gates(gates, activations):
    """Each gate block of gates (B, n*H) through its activation ("sigmoid" or "tanh"), in place
    and with one tanh call for all: sigmoid(a) = tanh(a / 2) / 2 + 1/2, and one tanh is cheaper
    than an exp and a division. The recurrent cells' sigmoid; F.sigmoid is activation._sigmoid."""
    scale, shift = _gate_affine(activations, gates.shape[1] // len(activations), gates.dtype)
    gates *= scale
    np.tanh(gates, out=gates)
    gates *= scale
    gates += shift
    return gates


def _blocks(gates, n):
    """The n gate blocks of a (B, n*H) array, as views."""
    size = gates.shape[-1] // n
    return [gates[:, k * size : (k + 1) * size] for k in range(n)]


# ------------------------------------------------------------------ one step of each cell
# forward(gates_x, gates_h, state) -> (new state, saved): gates_x = x W_ih^T + b_ih and
#   gates_h = h W_hh^T + b_hh of this step. gates_x is the step's own row, which it may
#   overwrite and keep in `saved`; gates_h is scratch that the next step overwrites.
# backward(saved, grad_state, grad_x, grad_h) -> the gradient of the previous state through
#   every path except gates_h (None where there is none). It writes dL/dgates_x into grad_x
#   and dL/dgates_h into grad_h, which is grad_x itself unless hidden_grads_differ (the GRU,
#   whose r multiplies W_hn h + b_hn).
class RNNTanhStep:
    """h' = tanh(gates_x + gates_h). Textbook twin: npgrad.textbook.RNNStepFunction."""

    n_gates, n_states, hidden_grads_differ = 1, 1, False

    def forward(
        self, gates_x: np.ndarray, gates_h: np.ndarray, state: tuple[np.ndarray, ...]
    ) -> tuple[tuple[np.ndarray, ...], Any]:
        gates_x += gates_h
        h = self.activation(gates_x)
        return (h,), h

    def backward(
        self, h: np.ndarray, grad_state: Sequence[np.ndarray], grad_x: np.ndarray, grad_h: np.ndarray
    ) -> tuple[np.ndarray | None, ...]:
        np.multiply(grad_state[0], self.derivative(h), out=grad_x)
        return (None,)

    @staticmethod
    def activation(a: np.ndarray) -> np.ndarray:
        return np.tanh(a, out=a)

    @staticmethod
    def derivative(h: np.ndarray) -> np.ndarray:
        return 1 - h * h  # tanh' = 1 - tanh^2


class RNNReLUStep(RNNTanhStep):
    """h' = relu(gates_x + gates_h)."""

    @staticmethod
    def activation(a: np.ndarray) -> np.ndarray:
        return np.clip(a, 0, np.inf, out=a)

    @staticmethod
    def derivative(h: np.ndarray) -> np.ndarray:
        return h > 0


class LSTMStep:
    """Gates i, f, g, o (in that order): i, f, o = sigmoid, g = tanh of gates_x + gates_h;
    c' = f c + i g, h' = o tanh(c'). Textbook twin: npgrad.textbook.LSTMStepFunction."""

    n_gates, n_states, hidden_grads_differ = 4, 2, False

    def forward(
        self, gates_x: np.ndarray, gates_h: np.ndarray, state: tuple[np.ndarray, ...]
    ) -> tuple[tuple[np.ndarray, ...], Any]:
        _, c = state
        gates = gates_x
        fast = numba_backend.kernels(gates, gates_h, c, min_size=0)
        if fast is not None:  # the same arithmetic in two compiled passes around NumPy's tanh
            scale, shift = _gate_affine(("sigmoid", "sigmoid", "tanh", "sigmoid"), c.shape[1], gates.dtype)
            fast.lstm_cell_inputs(gates, gates_h, scale)
            np.tanh(gates, out=gates)
            c_new = np.empty_like(c)
            fast.lstm_cell_state(gates, scale, shift, c, c_new)
        else:
            gates += gates_h
            i, f, g, o = _blocks(_activate_gates(gates, ("sigmoid", "sigmoid", "tanh", "sigmoid")), 4)
            c_new = f * c
            c_new += i * g
        tanh_c = np.tanh(c_new)
        return (gates[:, 3 * c.shape[1] :] * tanh_c, c_new), (gates, c, tanh_c)

    def backward(
        self, saved: Any, grad_state: Sequence[np.ndarray], grad_x: np.ndarray, grad_h: np.ndarray
    ) -> tuple[np.ndarray | None, ...]:
        gates, c, tanh_c = saved
        grad_h_new, grad_c = grad_state
        fast = numba_backend.kernels(gates, c, tanh_c, grad_h_new, grad_c, grad_x, min_size=0)
        if fast is not None:  # the same arithmetic in one compiled call
            grad_c_prev = np.empty_like(c)
            fast.lstm_cell_backward(gates.dtype.type(1), gates, c, tanh_c, grad_h_new, grad_c, grad_x, grad_c_prev)
            return (None, grad_c_prev)
        i, f, g, o = _blocks(gates, 4)
        grad_c = grad_c + grad_h_new * o * (1 - tanh_c * tanh_c)  # dL/dc' also flows through h' = o tanh(c')
        grad_i, grad_f, grad_g, grad_o = _blocks(grad_x, 4)  # dL/d(gate) first, then times its derivative
        np.multiply(grad_c, g, out=grad_i)
        np.multiply(grad_c, c, out=grad_f)
        np.multiply(grad_c, i, out=grad_g)
        np.multiply(grad_h_new, tanh_c, out=grad_o)
        derivative = gates * (1 - gates)  # sigmoid' = s (1 - s) for i, f, o
        derivative[:, 2 * c.shape[1] : 3 * c.shape[1]] = 1 - g * g  # tanh' = 1 - tanh^2 for g
        grad_x *= derivative
        return (None, grad_c * f)


class GRUStep:
    """Gates r, z, n (in that order): r, z = sigmoid(gates_x + gates_h),
    n = tanh(gates_x_n + r * gates_h_n), h' = (1 - z) n + z h.
    Textbook twin: npgrad.textbook.GRUStepFunction."""

    n_gates, n_states, hidden_grads_differ = 3, 1, True

    def forward(
        self, gates_x: np.ndarray, gates_h: np.ndarray, state: tuple[np.ndarray, ...]
    ) -> tuple[tuple[np.ndarray, ...], Any]:
        (h,) = state
        size = h.shape[1]
        rz = gates_x[:, : 2 * size]
        rz += gates_h[:, : 2 * size]
        r, z = _blocks(_activate_gates(rz, ("sigmoid", "sigmoid")), 2)
        hidden_n = gates_h[:, 2 * size :].copy()  # W_hn h + b_hn
        n = r * hidden_n
        n += gates_x[:, 2 * size :]
        np.tanh(n, out=n)
        h_new = h - n
        h_new *= z
        h_new += n  # (1 - z) n + z h = n + z (h - n)
        return (h_new,), (r, z, n, hidden_n, h)

    def backward(
        self, saved: Any, grad_state: Sequence[np.ndarray], grad_x: np.ndarray, grad_h: np.ndarray
    ) -> tuple[np.ndarray | None, ...]:
        r, z, n, hidden_n, h = saved
        (grad_h_new,) = grad_state
        grad_r, grad_z, grad_n = _blocks(grad_x, 3)
        np.multiply(grad_h_new * (1 - z), 1 - n * n, out=grad_n)  # through n = tanh(...)
        np.multiply(grad_n * hidden_n, r * (1 - r), out=grad_r)  # dn/dr = tanh' (W_hn h + b_hn)
        np.multiply(grad_h_new * (h - n), z * (1 - z), out=grad_z)  # dh'/dz = h - n
        grad_h[...] = grad_x
        grad_h[:, 2 * h.shape[1] :] *= r  # d(r * gates_h_n)/d gates_h_n = r
        return (grad_h_new * z,)


STEPS = {"RNN_TANH": RNNTanhStep(), "RNN_RELU": RNNReLUStep(), "LSTM": LSTMStep(), "GRU": GRUStep()}


# ------------------------------------------------------------------ the recurrence
class RecurrenceFunction(Function):
    """All time steps of one layer in one direction.

    Inputs: gates_x (T, B, n_gates*H), W_hh (n_gates*H, H), b_hh or None, and the initial
    state (h0, or h0 and c0, each (B, H)). Outputs: the hidden states of every step
    (T, B, H) and the final state. `step` is one of STEPS; `lengths` (B,) ints or None;
    `reverse` runs from the last step to the first.
    gates_x is overwritten: each step turns its row into the gate activations that backward
    needs, which saves a (T, B, n_gates*H) array (recurrent_layer passes a fresh one).
    Time-major rows are contiguous, which keeps every step's memory access a stream.
    """

    def forward(self, gates_x, w_hh, b_hh, *state, step, lengths=None, reverse=False):
        n_steps = len(gates_x)
        self.step, self.w_hh = step, w_hh
        self.order = range(n_steps - 1, -1, -1) if reverse else range(n_steps)
        self.active = None if lengths is None else (np.arange(n_steps)[:, None] < lengths)[:, :, None]
        output = np.empty(gates_x.shape[:2] + state[0].shape[1:], state[0].dtype)
        self.h_prev = np.empty_like(output)  # h_{t-1} of every step t, for dL/dW_hh
        self.saved = [None] * n_steps
        gates_h = np.empty(gates_x.shape[1:], gates_x.dtype)
        # h W_hh^T with W_hh^T copied out once: OpenBLAS runs a step's small product about a
        # quarter faster from a contiguous right operand than from the transposed view
        w_hh_t = np.ascontiguousarray(w_hh.T)
        for t in self.order:
            self.h_prev[t] = state[0]
            np.matmul(state[0], w_hh_t, out=gates_h)
            if b_hh is not None:
                gates_h += b_hh
            new_state, self.saved[t] = step.forward(gates_x[t], gates_h, state)
            if self.active is None:
                output[t] = new_state[0]
            else:  # finished (or, in reverse, not yet started) sequences keep their state
                np.multiply(new_state[0], self.active[t], out=output[t])
                new_state = tuple(np.where(self.active[t], new, old) for new, old in zip(new_state, state))
            state = new_state
        return (output, *state)

    def backward(self, grad_output, *grad_state):
        step, w_hh = self.step, self.w_hh
        grad_gates_x = np.empty(grad_output.shape[:2] + (w_hh.shape[0],), grad_output.dtype)
        grad_gates_h = np.empty_like(grad_gates_x) if step.hidden_grads_differ else grad_gates_x
        for t in reversed(self.order):
            grad_new = (grad_state[0] + grad_output[t], *grad_state[1:])  # dL/d(state_t from the cell)
            if self.active is not None:  # only active sequences went through the cell at step t
                passed = [np.where(self.active[t], 0, g) for g in grad_state]
                grad_new = [g * self.active[t] for g in grad_new]
            grad_prev = step.backward(self.saved[t], grad_new, grad_gates_x[t], grad_gates_h[t])
            through_gates = np.matmul(grad_gates_h[t], w_hh)  # dL/dh_{t-1} through gates_h = h_{t-1} W_hh^T
            grad_state = [through_gates if grad_prev[0] is None else grad_prev[0] + through_gates, *grad_prev[1:]]
            if self.active is not None:
                grad_state = [g + p for g, p in zip(grad_state, passed)]
        gates_2d = grad_gates_h.reshape(-1, grad_gates_h.shape[-1])
        grad_w_hh = np.matmul(gates_2d.T, self.h_prev.reshape(-1, w_hh.shape[1])) if self.needs_input_grad[1] else None
        grad_b_hh = gates_2d.sum(axis=0) if self.needs_input_grad[2] else None
        return (grad_gates_x, grad_w_hh, grad_b_hh, *grad_state)


# --------------------------------------------------------------------------- public API
def recurrent_layer(
    mode: str,
    input: Tensor,
    state: tuple[Tensor, ...],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    lengths: np.ndarray | None = None,
    reverse: bool = False,
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """One layer in one direction: input (T, B, I) -> (output (T, B, H), final state tuple).

    mode: 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'; state: (h0,) or (h0, c0), each (B, H).
    The input-to-hidden products of all steps are one GEMM; see RecurrenceFunction for the rest.
    Where a cell only sees the sum gates_x + gates_h (RNN, LSTM), b_hh joins b_ih in that
    GEMM: one bias add for the whole sequence instead of one per step.
    """
    step = STEPS[mode]
    if b_hh is not None and not step.hidden_grads_differ:
        b_ih, b_hh = (b_hh if b_ih is None else b_ih + b_hh), None
    gates_x = linear(input, w_ih, b_ih)
    output, *final = RecurrenceFunction.apply(gates_x, w_hh, b_hh, *state, step=step, lengths=lengths, reverse=reverse)
    return output, tuple(final)


def cell_step(
    mode: str,
    input: Tensor,
    state: tuple[Tensor, ...],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, ...]:
    """One step of a cell: input (B, I) and state (h, or h and c, each (B, H)) -> the new state."""
    _, new_state = recurrent_layer(mode, input.unsqueeze(0), state, w_ih, w_hh, b_ih, b_hh)
    return new_state


def rnn_tanh_cell(
    input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None
) -> Tensor:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), as torch.rnn_tanh_cell."""
    return cell_step("RNN_TANH", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(
    input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None
) -> Tensor:
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh), as torch.rnn_relu_cell."""
    return cell_step("RNN_RELU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def lstm_cell(
    input: Tensor,
    hx: Sequence[Tensor],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step, hx = (h, c) -> (h', c'), as torch.lstm_cell (gates i, f, g, o)."""
    return cell_step("LSTM", input, tuple(hx), w_ih, w_hh, b_ih, b_hh)


def gru_cell(
    input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None, b_hh: Tensor | None = None
) -> Tensor:
    """One GRU step -> h', as torch.gru_cell (gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)))."""
    return cell_step("GRU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]
