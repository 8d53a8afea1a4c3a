"""Workloads of ours that ../shared/bench lacks: their names and their synthetic batches.

mnist_cnn: a training step of the main job's model (`npgrad train`'s default: conv 32-32-64-64,
3x3 unpadded, batch norm after each, ReLU, 2x2 max pool after each pair, Linear 1024 -> 128,
ReLU, dropout 0.5, Linear -> 10; cross-entropy), batch 128, Adam lr 1e-3.
npgrad_ref.py and torch_extra.py read their data from here, so both frameworks get the same.
"""

WORKLOADS = ["mnist_cnn"]


def rand_batch(np, workload, seed=0):
    """Bit-identical float32 images and int64 labels for both frameworks."""
    if workload != "mnist_cnn":
        raise ValueError(workload)
    rng = np.random.default_rng(seed)
    return rng.standard_normal((128, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 128).astype(np.int64)
