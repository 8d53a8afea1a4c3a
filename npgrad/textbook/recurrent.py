"""One time step of the three recurrent cells, as the lecture writes them, with PyTorch's
names: W_ih `(gates*H, I)` stacks the gates' input weights (W_ii, W_if, ...), W_hh `(gates*H, H)`
their hidden weights (W_hi, W_hf, ...), b_ih and b_hh their biases. A batch holds samples as
rows, so W x is x @ W.T. Backpropagation through time is these steps' backward, run from the
last step to the first.

The fast ops (npgrad.functional.recurrent: RNNTanhStep, LSTMStep, GRUStep, run by RecurrenceFunction)
compute the input products of all time steps in one GEMM, the hidden products of all gates in
one GEMM a step, add b_hh to b_ih once when only their sum matters, and overwrite
preallocated arrays in place; the LSTM gets its three sigmoids and one tanh from a single
tanh call (sigmoid(a) = (1 + tanh(a / 2)) / 2).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .activation import sigmoid


def _through_products(
    x: np.ndarray, h: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, da_x: np.ndarray, da_h: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Given the gradients of x W_ih^T + b_ih (da_x) and of h W_hh^T + b_hh (da_h), those of
    x, h, W_ih, W_hh, b_ih, b_hh, as for two Linear layers: W^T da, da x^T, da."""
    return da_x @ W_ih, da_h @ W_hh, da_x.T @ x, da_h.T @ h, da_x.sum(axis=0), da_h.sum(axis=0)


class RNNStepFunction(Function):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh).

    Backward: da = dL/dh' (1 - h'^2), then dL/dx = W_ih^T da, dL/dh = W_hh^T da,
    dL/dW_ih = da x^T, dL/dW_hh = da h^T, dL/db_ih = dL/db_hh = da.
    Repeated over many steps, dL/dh is multiplied by W_hh^T diag(1 - h'^2) once a step: this
    product shrinks (vanishing gradients) or grows (exploding gradients) geometrically.
    """

    def forward(
        self, x: np.ndarray, h: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
    ) -> np.ndarray:
        self.saved = x, h, W_ih, W_hh
        self.h_new = np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        return self.h_new

    def backward(self, dh_new: np.ndarray) -> tuple[np.ndarray, ...]:
        da = dh_new * (1 - self.h_new**2)  # tanh' = 1 - tanh^2
        return _through_products(*self.saved, da, da)


class LSTMStepFunction(Function):
    """One LSTM step (h, c) -> (h', c'):

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)    input gate
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)    forget gate
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)       candidate cell
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)    output gate
        c' = f * c + i * g,   h' = o * tanh(c')

    Backward: dL/dc' gains dL/dh' o (1 - tanh^2(c')); then di = dc' g, df = dc' c,
    dg = dc' i, do = dh' tanh(c'), each times its gate's derivative (s (1 - s) or 1 - g^2),
    and dL/dc = dc' f: the cell path is multiplied only by f, which is why gradients survive
    many steps.
    """

    def forward(
        self,
        x: np.ndarray,
        h: np.ndarray,
        c: np.ndarray,
        W_ih: np.ndarray,
        W_hh: np.ndarray,
        b_ih: np.ndarray,
        b_hh: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        W_ii, W_if, W_ig, W_io = np.split(W_ih, 4)
        W_hi, W_hf, W_hg, W_ho = np.split(W_hh, 4)
        b_ii, b_if, b_ig, b_io = np.split(b_ih, 4)
        b_hi, b_hf, b_hg, b_ho = np.split(b_hh, 4)
        i = sigmoid(x @ W_ii.T + b_ii + h @ W_hi.T + b_hi)
        f = sigmoid(x @ W_if.T + b_if + h @ W_hf.T + b_hf)
        g = np.tanh(x @ W_ig.T + b_ig + h @ W_hg.T + b_hg)
        o = sigmoid(x @ W_io.T + b_io + h @ W_ho.T + b_ho)
        c_new = f * c + i * g
        self.saved, self.gates, self.c, self.tanh_c = (x, h, W_ih, W_hh), (i, f, g, o), c, np.tanh(c_new)
        return o * self.tanh_c, c_new

    def backward(self, dh_new: np.ndarray, dc_new: np.ndarray) -> tuple[np.ndarray, ...]:
        (i, f, g, o), c, tanh_c = self.gates, self.c, self.tanh_c
        dc_new = dc_new + dh_new * o * (1 - tanh_c**2)  # h' = o tanh(c')
        da = np.concatenate(
            [
                dc_new * g * i * (1 - i),
                dc_new * c * f * (1 - f),
                dc_new * i * (1 - g**2),
                dh_new * tanh_c * o * (1 - o),
            ],
            axis=1,
        )
        dx, dh, dW_ih, dW_hh, db_ih, db_hh = _through_products(*self.saved, da, da)
        return dx, dh, dc_new * f, dW_ih, dW_hh, db_ih, db_hh


class GRUStepFunction(Function):
    """One GRU step h -> h':

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)    reset gate
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)    update gate
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  candidate
        h' = (1 - z) * n + z * h

    Backward: dn = dh' (1 - z), dz = dh' (h - n), and h gets dh' z directly; through
    n = tanh(a_n): da_n = dn (1 - n^2), dr = da_n (W_hn h + b_hn); the hidden side of a_n is
    multiplied by r, so its gradient there is da_n r.
    """

    def forward(
        self, x: np.ndarray, h: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
    ) -> np.ndarray:
        W_ir, W_iz, W_in = np.split(W_ih, 3)
        W_hr, W_hz, W_hn = np.split(W_hh, 3)
        b_ir, b_iz, b_in = np.split(b_ih, 3)
        b_hr, b_hz, b_hn = np.split(b_hh, 3)
        r = sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        hn = h @ W_hn.T + b_hn
        n = np.tanh(x @ W_in.T + b_in + r * hn)
        self.saved, self.values = (x, h, W_ih, W_hh), (r, z, n, hn, h)
        return (1 - z) * n + z * h

    def backward(self, dh_new: np.ndarray) -> tuple[np.ndarray, ...]:
        r, z, n, hn, h = self.values
        da_n = dh_new * (1 - z) * (1 - n**2)
        da_r = da_n * hn * r * (1 - r)
        da_z = dh_new * (h - n) * z * (1 - z)
        da_x = np.concatenate([da_r, da_z, da_n], axis=1)
        da_h = np.concatenate([da_r, da_z, da_n * r], axis=1)
        dx, dh, dW_ih, dW_hh, db_ih, db_hh = _through_products(*self.saved, da_x, da_h)
        return dx, dh + dh_new * z, dW_ih, dW_hh, db_ih, db_hh
