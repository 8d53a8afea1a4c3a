"""The matrix products of one `lstm` benchmark step, alone: the floor under npgrad's step time.

    OPENBLAS_NUM_THREADS=2 python benchmarks/lstm_gemms.py

Embedding 64, LSTM 256 (4 gates, 1,024 columns), T = 64, batch 32, vocabulary 65, the same
GEMMs npgrad runs: the input-to-gates product of all steps, one hidden-to-gates product per
step, the output layer; in backward the output layer's two, one product per step back
through W_hh, dL/dW_hh over all steps, and the input layer's two. Prints the median ms.
"""

import time

import numpy as np

STEPS, BATCH, HIDDEN, GATES, EMBEDDING, VOCAB = 64, 32, 256, 1024, 64, 65


RNG = np.random.default_rng(0)


def random(*shape):
    return RNG.standard_normal(shape, dtype=np.float32)


def one_step_of_gemms(x, w_ih, w_hh, w_out, hidden, grad_gates, grad_logits):
    rows = STEPS * BATCH
    x @ w_ih.T  # gates_x of every step
    for t in range(STEPS):  # gates_h = h_{t-1} W_hh^T, step by step
        hidden[t] @ w_hh.T
    outputs = hidden.reshape(rows, HIDDEN)
    outputs @ w_out.T  # logits
    grad_logits @ w_out, grad_logits.T @ outputs  # output layer: dL/dh, dL/dW_out
    for t in range(STEPS):  # dL/dh_{t-1} through W_hh, step by step back
        grad_gates[t] @ w_hh
    grads = grad_gates.reshape(rows, GATES)
    grads.T @ outputs  # dL/dW_hh
    grads @ w_ih, grads.T @ x  # input layer: dL/dx, dL/dW_ih


def main(repeats=20):
    arrays = (
        random(STEPS * BATCH, EMBEDDING),
        random(GATES, EMBEDDING),
        random(GATES, HIDDEN),
        random(VOCAB, HIDDEN),
        random(STEPS, BATCH, HIDDEN),
        random(STEPS, BATCH, GATES),
        random(STEPS * BATCH, VOCAB),
    )
    times = []
    for _ in range(3 + repeats):
        start = time.perf_counter()
        one_step_of_gemms(*arrays)
        times.append(time.perf_counter() - start)
    print(f"lstm step, GEMMs only: {1000 * np.median(times[3:]):.1f} ms (median of {repeats})")


if __name__ == "__main__":
    main()
