"""The matrix products of one `lstm` benchmark step, alone: the floor under npgrad's step time.

    OPENBLAS_NUM_THREADS=2 python benchmarks/lstm_gemms.py

Embedding 64, LSTM 256 (4 gates, 1,024 columns), T = 64, batch 32, vocabulary 65, the same
GEMMs npgrad runs: the input-to-gates product of all steps, one hidden-to-gates product per
step, the output layer; in backward the output layer's two, one product per step back
through W_hh, dL/dW_hh over all steps, and the input layer's two. Prints the median ms.

Then the two per-step products alone, both ways round: batch-major as npgrad runs them
(h W_hh^T, a (32, 1024) result; dL/dh = dgates W_hh) and feature-major, on transposed states
(W_hh h^T, a (1024, 32) result; W_hh^T dgates^T), the same arithmetic.
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


def per_step_products(w_hh, hidden, grad_gates, repeats=7):
    """Median µs of one step's product forward and one back, batch-major and feature-major."""
    h, dgates = hidden[0], grad_gates[0]
    w_hh_t, h_t, dgates_t = (np.ascontiguousarray(a.T) for a in (w_hh, h, dgates))
    products = {
        "batch-major: h W_hh^T": lambda: h @ w_hh_t,
        "batch-major: dgates W_hh": lambda: dgates @ w_hh,
        "feature-major: W_hh h^T": lambda: w_hh @ h_t,
        "feature-major: W_hh^T dgates^T": lambda: w_hh_t @ dgates_t,
    }
    for name, product in products.items():
        per_call = [_seconds_per_call(product) for _ in range(repeats)]
        print(f"  {name}: {1e6 * np.median(per_call):.0f} µs")


def _seconds_per_call(product, calls=STEPS):
    start = time.perf_counter()
    for _ in range(calls):
        product()
    return (time.perf_counter() - start) / calls


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
    print("one step's product, alone:")
    per_step_products(arrays[2], arrays[4], arrays[5])


if __name__ == "__main__":
    main()
