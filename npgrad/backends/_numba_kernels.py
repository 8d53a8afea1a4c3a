"""Loops compiled by numba (see npgrad/backends/numba.py): each one pass over memory, split over
the cores by `prange` (all but the LSTM cell's small per-step loops), doing the float operations
of the NumPy code it stands in for in the same order. Scalars come in already converted to the
arrays' dtype, as NumPy converts a Python float before float32 arithmetic, so the results match
NumPy's to the last bit."""

from __future__ import annotations

import os

import numba
import numpy as np

from ..utils.environment import thread_setting

# Between loops the worker threads sleep rather than spin: a spinning thread would hold the core
# that OpenBLAS's threads and NumPy need next (libgomp reads this when numba first starts it).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

compiled = numba.njit(parallel=True, cache=True)  # fastmath off: no reordering, no fused multiply-add
one_thread = numba.njit(cache=True)  # for small arrays, where starting threads would cost more than the loop


def _thread_count():
    requested = thread_setting("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    return min(requested or numba.config.NUMBA_NUM_THREADS, numba.config.NUMBA_NUM_THREADS)


numba.set_num_threads(_thread_count())


@compiled
def adam_step_(shrink, one_minus_beta1, one_minus_beta2, eps, step_size, param, grad, exp_avg, exp_avg_sq):
    """Adam on flat arrays, in place: θ *= shrink (AdamW's decay, else 1); m += (g - m)(1 - β1);
    v += (g² - v)(1 - β2); θ += m / (√v + eps) · step_size, eps and step_size bias-corrected (see Adam)."""
    for i in numba.prange(param.size):
        g = grad[i]
        m = exp_avg[i] + (g - exp_avg[i]) * one_minus_beta1
        v = exp_avg_sq[i] + (g * g - exp_avg_sq[i]) * one_minus_beta2
        exp_avg[i] = m
        exp_avg_sq[i] = v
        param[i] = param[i] * shrink + m / (np.sqrt(v) + eps) * step_size


# --------------------------------------------------------------------------- activations (flat arrays)
@compiled
def relu(zero, x, out):
    """out = max(x, 0), with `zero` of x's dtype; NaN and -0.0 kept, as np.clip."""
    for i in numba.prange(x.size):
        out[i] = x[i] if not x[i] < zero else zero


@compiled
def relu_backward(grad, out, grad_x):
    """grad_x = grad · (out > 0)."""
    for i in numba.prange(grad.size):
        grad_x[i] = grad[i] * (1 if out[i] > 0 else 0)


@compiled
def leaky_relu(one_minus_slope, slope, x, gain, out):
    """gain = (x > 0)(1 - slope) + slope, out = x · gain."""
    for i in numba.prange(x.size):
        g = one_minus_slope + slope if x[i] > 0 else slope  # 1 (1 - slope) + slope or 0 (1 - slope) + slope
        gain[i] = g
        out[i] = x[i] * g


@compiled
def multiply(a, b, out):
    """out = a · b."""
    for i in numba.prange(a.size):
        out[i] = a[i] * b[i]


# --------------------------------------------------------------------------- batch norm (channel rows)
@compiled
def subtract_per_row(rows, row_values, out):
    """out = rows - row_values[:, None]."""
    for c in numba.prange(rows.shape[0]):
        for j in range(rows.shape[1]):
            out[c, j] = rows[c, j] - row_values[c]


@compiled
def scale_shift_rows(rows, scale, shift, has_shift, out):
    """out = rows · scale[:, None] + shift[:, None], the shift left out when absent."""
    for c in numba.prange(rows.shape[0]):
        for j in range(rows.shape[1]):
            scaled = rows[c, j] * scale[c]
            out[c, j] = scaled + shift[c] if has_shift else scaled


@compiled
def batch_norm_grad_input(centered, grad, centered_scale, grad_shift, scale, out):
    """out = (centered · centered_scale[:, None] + grad - grad_shift[:, None]) · scale[:, None]."""
    for c in numba.prange(centered.shape[0]):
        for j in range(centered.shape[1]):
            out[c, j] = (centered[c, j] * centered_scale[c] + grad[c, j] - grad_shift[c]) * scale[c]


# --------------------------------------------------------------------------- im2col and col2im
# geometry = (first output row, first output column, stride h, stride w, dilation h, dilation w,
# kernel width): the Window of conv.py. cols is (C, kh*kw, rows, width, N) for the output rows
# first ... first + rows - 1 and columns left ... left + width - 1, padded (C, Hp, Wp, N); kernel
# offset k = i*kw + j is the pixel at row i, column j of a window.
@compiled
def im2col(padded, geometry, cols):
    """cols[c, k, r, ow, n] = padded[c, (first + r) sh + i dh, (left + ow) sw + j dw, n]: a copy
    task per (c, k, r), in parallel."""
    first, left, sh, sw, dh, dw, kw = geometry
    channels, offsets, rows, width, batch = cols.shape
    for task in numba.prange(channels * offsets * rows):
        c, rest = divmod(np.int64(task), offsets * rows)  # int64: prange's index may be unsigned
        k, r = divmod(rest, rows)
        i, j = divmod(k, kw)
        source, target = padded[c, (first + r) * sh + i * dh], cols[c, k, r]  # (Wp, N) and (OW, N)
        for ow in range(width):
            source_pixel, target_pixel = source[(left + ow) * sw + j * dw], target[ow]
            for n in range(batch):
                target_pixel[n] = source_pixel[n]


@compiled
def col2im(cols, geometry, padded):
    """padded[c, (first + r) sh + i dh, (left + ow) sw + j dw, n] += cols[c, k, r, ow, n]: the
    channels in parallel; within one, the offsets k in order, so every pixel adds its terms in the
    order of conv.py's NumPy col2im."""
    first, left, sh, sw, dh, dw, kw = geometry
    channels, offsets, rows, width, batch = cols.shape
    for c in numba.prange(channels):
        for k in range(offsets):
            i, j = divmod(k, kw)
            for r in range(rows):
                source, target = cols[c, k, r], padded[c, (first + r) * sh + i * dh]
                for ow in range(width):
                    source_pixel, target_pixel = source[ow], target[(left + ow) * sw + j * dw]
                    for n in range(batch):
                        target_pixel[n] += source_pixel[n]


# --------------------------------------------------------------------------- max pooling
# On (P, H, W, Q) planes: (C, H, W, N) when the batch is innermost in memory, (N*C, H, W, 1) when
# the planes are. geometry = (stride h, stride w, dilation h, dilation w, kernel height, kernel width).
@compiled
def max_pool(padded, geometry, best, winner):
    """best = each window's largest value, winner = its kernel offset k: offsets in order, a later
    one winning only when strictly larger, and NaN kept, as pooling.py's np.maximum loop."""
    sh, sw, dh, dw, kh, kw = geometry
    planes, out_h, out_w, inner = best.shape
    for p in numba.prange(planes):
        for oh in range(out_h):
            for ow in range(out_w):
                best_here, winner_here, first = best[p, oh, ow], winner[p, oh, ow], padded[p, oh * sh, ow * sw]
                for q in range(inner):
                    best_here[q] = first[q]
                    winner_here[q] = 0
                for k in range(1, kh * kw):
                    i, j = divmod(k, kw)
                    candidates = padded[p, oh * sh + i * dh, ow * sw + j * dw]
                    for q in range(inner):
                        b, c = best_here[q], candidates[q]
                        if c > b:
                            winner_here[q] = k
                        if b == b and (c != c or not b > c):  # np.maximum(b, c): NaN if either is, else c unless b > c
                            best_here[q] = c


@compiled
def max_pool_backward(grad, winner, geometry, accumulate, grad_padded):
    """grad_padded at offset k of each window (+)= grad · (winner == k): offsets in order, adding
    when windows overlap (accumulate), as pooling.py's loop."""
    sh, sw, dh, dw, kh, kw = geometry
    planes, out_h, out_w, inner = grad.shape
    for p in numba.prange(planes):
        for k in range(kh * kw):
            i, j = divmod(k, kw)
            for oh in range(out_h):
                for ow in range(out_w):
                    grad_here, winner_here = grad[p, oh, ow], winner[p, oh, ow]
                    target = grad_padded[p, oh * sh + i * dh, ow * sw + j * dw]
                    for q in range(inner):
                        value = grad_here[q] * (1 if winner_here[q] == k else 0)
                        if accumulate:
                            target[q] += value
                        else:
                            target[q] = value


# --------------------------------------------------------------------------- layer norm (rows of the normalized axes)
@compiled
def layer_norm_outputs(centered, inv_std, weight, bias, has_weight, has_bias, y):
    """centered *= inv_std[:, None] (it becomes x_hat); y = x_hat · weight + bias, either part
    left out when absent (y = x_hat when both are)."""
    for r in numba.prange(centered.shape[0]):
        for j in range(centered.shape[1]):
            x_hat = centered[r, j] * inv_std[r]
            centered[r, j] = x_hat
            out = x_hat * weight[j] if has_weight else x_hat
            y[r, j] = out + bias[j] if has_bias else out


@compiled
def layer_norm_grad_input(g, g_mean, x_hat, g_x_hat_mean, inv_std, out):
    """out = (g - g_mean[:, None] - x_hat · g_x_hat_mean[:, None]) · inv_std[:, None]."""
    for r in numba.prange(g.shape[0]):
        for j in range(g.shape[1]):
            out[r, j] = (g[r, j] - g_mean[r] - x_hat[r, j] * g_x_hat_mean[r]) * inv_std[r]


@compiled
def pad(planes, top, left, padded):
    """padded = planes (C, H, W, N), any strides, inside a border of zeros (C, Hp, Wp, N): every
    number written once, channels in parallel."""
    channels, height, width, batch = planes.shape
    for c in numba.prange(channels):
        for row in range(padded.shape[1]):
            target = padded[c, row]
            if row < top or row >= top + height:
                target[:] = 0
                continue
            source = planes[c, row - top]
            for column in range(padded.shape[2]):
                target_pixel = target[column]
                if column < left or column >= left + width:
                    target_pixel[:] = 0
                else:
                    source_pixel = source[column - left]
                    for n in range(batch):
                        target_pixel[n] = source_pixel[n]


# --------------------------------------------------------------------------- GELU, tanh form (tanh itself stays NumPy's)
@compiled
def gelu_tanh_inner(k, c, x, u):
    """u = k (x + c x x x), multiplied in NumPy's order ((c x) x) x."""
    for i in numba.prange(x.size):
        u[i] = k * (x[i] + c * x[i] * x[i] * x[i])


@compiled
def gelu_tanh_output(half, one, x, tanh_u, y):
    """y = half x (one + tanh u)."""
    for i in numba.prange(x.size):
        y[i] = half * x[i] * (one + tanh_u[i])


@compiled
def gelu_tanh_backward(k, c3, half, one, grad, x, tanh_u, grad_x):
    """grad_x = grad (half (one + t) + half x (one - t t) k (one + c3 x x)), t = tanh u."""
    for i in numba.prange(x.size):
        t = tanh_u[i]
        du_dx = k * (one + c3 * x[i] * x[i])
        grad_x[i] = grad[i] * (half * (one + t) + half * x[i] * (one - t * t) * du_dx)


# --------------------------------------------------------------------------- LSTM cell (one time step, one thread)
# Forward: lstm_cell_inputs, then NumPy's tanh on the gates, lstm_cell_state, NumPy's tanh on c'.
@one_thread
def lstm_cell_inputs(gates, gates_h, scale):
    """gates = (gates + gates_h) · scale, per column: the sum of the step's products, scaled for
    the one tanh that computes every gate (see recurrent._activate_gates)."""
    for b in range(gates.shape[0]):
        for k in range(gates.shape[1]):
            gates[b, k] = (gates[b, k] + gates_h[b, k]) * scale[k]


@one_thread
def lstm_cell_state(gates, scale, shift, c, c_new):
    """gates = gates · scale + shift (tanh of the scaled sums -> the activations i, f, g, o);
    c' = f c + i g."""
    batch, size = c.shape
    for b in range(batch):
        for k in range(gates.shape[1]):
            gates[b, k] = gates[b, k] * scale[k] + shift[k]
        for j in range(size):
            c_new[b, j] = gates[b, size + j] * c[b, j] + gates[b, j] * gates[b, 2 * size + j]


@one_thread
def lstm_cell_backward(one, gates, c, tanh_c, grad_h, grad_c, grad_gates, grad_c_prev):
    """One step of the LSTM's backward, as recurrent.LSTMStep.backward computes it: with the
    activated gates [i f g o] (B, 4H), the previous cell state c, tanh of the new one, and dL/dh',
    dL/dc' (B, H): dc = dL/dc' + dL/dh' o (1 - tanh² c'); dL/d(gates) = [dc g · i (1 - i),
    dc c · f (1 - f), dc i · (1 - g²), dL/dh' tanh c' · o (1 - o)]; dL/dc = dc f.
    Three loops per row, each writing two arrays, with dc kept in grad_c_prev in between: LLVM
    vectorizes these; one loop writing all five arrays ran 3x slower."""
    size = c.shape[1]
    for b in range(c.shape[0]):
        i, f, g, o = gates[b, :size], gates[b, size : 2 * size], gates[b, 2 * size : 3 * size], gates[b, 3 * size :]
        grad_i, grad_f = grad_gates[b, :size], grad_gates[b, size : 2 * size]
        grad_g, grad_o = grad_gates[b, 2 * size : 3 * size], grad_gates[b, 3 * size :]
        dc = grad_c_prev[b]
        for j in range(size):
            t = tanh_c[b, j]
            dc[j] = grad_c[b, j] + grad_h[b, j] * o[j] * (one - t * t)
            grad_o[j] = grad_h[b, j] * t * (o[j] * (one - o[j]))
        for j in range(size):
            grad_i[j] = dc[j] * g[j] * (i[j] * (one - i[j]))
            grad_f[j] = dc[j] * c[b, j] * (f[j] * (one - f[j]))
        for j in range(size):
            grad_g[j] = dc[j] * i[j] * (one - g[j] * g[j])
            dc[j] = dc[j] * f[j]
