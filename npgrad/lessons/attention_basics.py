"""Scaled dot-product attention by hand, why 1/sqrt(d), and a trained attention map.

Attention from first principles.

1. Scaled dot-product attention, softmax(Q K^T / sqrt(d)) V, on three tokens with numbers
   small enough to check by hand: the scores, the weights (each row sums to 1), the output
   (each row a weighted mean of the value rows); then the same with a causal mask (token i
   may read tokens 0..i only), as GPT uses it. By hand (NumPy, step by step) and by
   F.scaled_dot_product_attention: the same numbers.
2. Why divide by sqrt(d): for queries and keys with independent unit-variance entries, q . k
   has variance d, so without the scale the scores spread out as d grows, the softmax puts
   almost all its weight on one key, and its gradient (which is P (dP - sum P dP)) vanishes.
   Measured on random queries and keys for d = 4 ... 1024, with and without the scale.
3. What a trained model attends to: one attention layer (one head) learns to reverse a
   sequence of 8 symbols; output position i can only be right by reading input position
   7 - i, and its attention map shows exactly that: the anti-diagonal.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, no_grad, optim, tensor
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.nn import functional as F
from npgrad.nn.module import eval_mode
from npgrad.utils.progress import progress
from npgrad.lessons import main

# three tokens, d = 4 (so 1 / sqrt(d) = 1/2): token 0 matches key 0, token 1 key 1, token 2 both
Q = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [2, 2, 0, 0]], np.float32)
K = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], np.float32)
V = np.array([[10, 0], [0, 10], [5, 5]], np.float32)
DIMS = (4, 16, 64, 256, 1024)
REVERSAL = {"symbols": 10, "length": 8, "width": 32, "batch": 64, "lr": 3e-3}
FULL = {"steps": 1500, "random_rows": 2000}
QUICK = {"steps": 300, "random_rows": 200}


def by_hand(q, k, v, causal=False):
    """The textbook steps in NumPy: (scores, weights, output)."""
    scores = q @ k.T / np.sqrt(q.shape[-1])
    if causal:
        scores = np.where(np.tril(np.ones_like(scores, bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return scores, weights, weights @ v


def hand_example():
    """The three-token example by hand and by the op, with and without the causal mask."""
    rows = {}
    for causal in (False, True):
        scores, weights, output = by_hand(Q, K, V, causal)
        op = F.scaled_dot_product_attention(tensor(Q), tensor(K), tensor(V), is_causal=causal).numpy()
        rows["causal" if causal else "full"] = {
            "scores": scores.tolist(),
            "weights": weights.tolist(),
            "output": output.tolist(),
            "op_output": op.tolist(),
            "max_difference": float(np.abs(op - output).max()),
        }
    return rows


def print_hand_example(rows):
    print("Q =", Q.tolist(), " K =", K.tolist(), " V =", V.tolist(), " d = 4, 1/sqrt(d) = 0.5")
    for kind, row in rows.items():
        print(f"\n{kind} attention")
        for name in ("scores", "weights", "output", "op_output"):
            label = "F.scaled_dot_product_attention" if name == "op_output" else name
            print(f"  {label:<31}" + "  ".join("[" + ", ".join(f"{x:7.4f}" for x in r) + "]" for r in row[name]))
        print(f"  largest difference, by hand vs the op: {row['max_difference']:.1e}")


def softmax_saturation(dims, rows, length=16, seed=0):
    """For random q (rows, d) and k (length, d) with N(0, 1) entries: the spread of the scores,
    the mean largest weight of a row and the mean norm of the softmax's Jacobian-vector product
    for a random upstream gradient, without and with the 1/sqrt(d) scale."""
    rng = np.random.default_rng(seed)
    table = []
    for d in dims:
        q, k = rng.standard_normal((rows, d)), rng.standard_normal((length, d))
        upstream = rng.standard_normal((rows, length))
        row = {"d": d}
        for label, scale in (("unscaled", 1.0), ("scaled", 1 / np.sqrt(d))):
            scores = q @ k.T * scale
            p = np.exp(scores - scores.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            grad = p * (upstream - (upstream * p).sum(axis=1, keepdims=True))  # dL/dS = P (dP - sum P dP)
            row[label] = {
                "score_std": float(scores.std()),
                "max_weight": float(p.max(axis=1).mean()),
                "grad_norm": float(np.linalg.norm(grad, axis=1).mean()),
            }
        table.append(row)
    return table


def print_saturation(table):
    print("\nrandom queries and keys, 16 keys: softmax with and without the 1/sqrt(d) scale")
    print(
        f"{'d':>6} | {'score std':>10} {'max weight':>11} {'grad norm':>10} | {'score std':>10} {'max weight':>11} "
        f"{'grad norm':>10}"
    )
    print(f"{'':>6} | {'unscaled':^33} | {'scaled by 1/sqrt(d)':^33}")
    for row in table:
        cells = [
            f"{row[k]['score_std']:>10.2f} {row[k]['max_weight']:>11.3f} {row[k]['grad_norm']:>10.2e}"
            for k in ("unscaled", "scaled")
        ]
        print(f"{row['d']:>6} | " + " | ".join(cells))


class Reverser(nn.Module):
    """Symbol and position embeddings, one single-head attention layer with a residual, and a
    Linear to the symbols: output i = a weighted mean of the input tokens, read out."""

    def __init__(self, symbols, length, width):
        super().__init__()
        self.embedding = nn.Embedding(symbols, width)
        self.positions = nn.LearnedPositionalEmbedding(length, width, batch_first=True)
        self.attention = nn.MultiheadAttention(width, 1, batch_first=True)
        self.out = nn.Linear(width, symbols)

    def forward(self, ids):
        """(logits (B, L, symbols), attention weights (B, L, L))."""
        x = self.positions(self.embedding(ids))
        mixed, weights = self.attention(x, x, x)
        return self.out(mixed + x), weights


def reversal_batch(rng, n):
    ids = rng.integers(0, REVERSAL["symbols"], (n, REVERSAL["length"]))
    return ids, ids[:, ::-1].copy()


def train_reverser(steps, seed=0):
    """The Reverser trained with Adam; (model, losses)."""
    manual_seed(seed)
    model = Reverser(REVERSAL["symbols"], REVERSAL["length"], REVERSAL["width"])
    optimizer = optim.Adam(model.parameters(), lr=REVERSAL["lr"])
    rng = np.random.default_rng(seed)
    losses = []
    for _ in progress(range(steps), desc="reverser", unit="step"):
        ids, targets = reversal_batch(rng, REVERSAL["batch"])
        logits, _ = model(tensor(ids))
        loss = F.cross_entropy(logits.reshape(-1, REVERSAL["symbols"]), tensor(targets.reshape(-1)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def reversal_test(model, n=1000, seed=1):
    """Accuracy per symbol on fresh sequences, the mean attention map (L, L), its weight on the
    anti-diagonal, and one sequence's map with its symbols."""
    ids, targets = reversal_batch(np.random.default_rng(seed), n)
    with eval_mode(model), no_grad():
        logits, weights = model(tensor(ids))
    weights = weights.numpy()
    mean_map = weights.mean(axis=0)
    length = REVERSAL["length"]
    return {
        "accuracy": float((logits.numpy().argmax(-1) == targets).mean()),
        "anti_diagonal_weight": float(mean_map[np.arange(length), length - 1 - np.arange(length)].mean()),
        "mean_map": mean_map,
        "example": (ids[0], weights[0]),
    }


def plot_saturation(plt, table, path):
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    dims = [row["d"] for row in table]
    for label, style in (("unscaled", "--o"), ("scaled", "-s")):
        axes[0].plot(dims, [row[label]["max_weight"] for row in table], style, label=label)
        axes[1].plot(dims, [row[label]["grad_norm"] for row in table], style, label=label)
    axes[0].axhline(1 / 16, color="gray", ls=":", label="uniform over 16 keys")
    axes[0].set_ylabel("mean largest softmax weight")
    axes[1].set_ylabel("mean norm of dL/dscores")
    axes[1].set_yscale("log")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_xlabel("d (query and key size)")
        ax.legend(fontsize=8)
    fig.suptitle("Without 1/sqrt(d) the softmax saturates as d grows, and its gradient vanishes", fontsize=10)
    return save_figure(fig, path, dpi=100)


def plot_reversal_maps(plt, test, path):
    ids, weights = test["example"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, image, title in (
        (axes[0], weights, "one sequence"),
        (axes[1], test["mean_map"], "mean over 1,000 sequences"),
    ):
        ax.imshow(image, cmap="Greys", vmin=0, vmax=1)
        ax.set_xlabel("input position (key)")
        ax.set_ylabel("output position (query)")
        ax.set_title(title, fontsize=9)
    axes[0].set_xticks(range(len(ids)), [str(s) for s in ids])
    axes[0].set_yticks(range(len(ids)), [str(s) for s in ids[::-1]])
    axes[0].set_xlabel("input symbol")
    axes[0].set_ylabel("output symbol")
    fig.suptitle(f"One attention head trained to reverse: accuracy {test['accuracy']:.1%}", fontsize=10)
    return save_figure(fig, path, dpi=100)


def run(out_dir, quick=False):
    settings = QUICK if quick else FULL
    example = hand_example()
    print_hand_example(example)
    saturation = softmax_saturation(DIMS, settings["random_rows"])
    print_saturation(saturation)
    model, losses = train_reverser(settings["steps"])
    test = reversal_test(model)
    print(
        f"\nreversing {REVERSAL['length']} symbols with one attention head, {settings['steps']} steps: loss "
        f"{losses[0]:.3f} -> {np.mean(losses[-50:]):.4f}, test accuracy {test['accuracy']:.2%}, mean attention "
        f"weight on the anti-diagonal (output i reading input {REVERSAL['length'] - 1} - i) "
        f"{test['anti_diagonal_weight']:.3f}"
    )
    figures = []
    plt = pyplot_or_none()
    if plt is not None:
        figures = [
            plot_saturation(plt, saturation, os.path.join(out_dir, "softmax_saturation.png")),
            plot_reversal_maps(plt, test, os.path.join(out_dir, "reversal_attention.png")),
        ]
    return {
        "hand_example": example,
        "saturation": saturation,
        "reversal": {
            "steps": settings["steps"],
            "first_loss": losses[0],
            "final_loss": float(np.mean(losses[-50:])),
            "accuracy": test["accuracy"],
            "anti_diagonal_weight": test["anti_diagonal_weight"],
            "mean_map": test["mean_map"].tolist(),
        },
        "figures": figures,
    }


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/attention.py AttentionFunction
fast ops: npgrad/functional/attention.py scaled_dot_product_attention (and its backward,
  ScaledDotProductAttentionFunction), npgrad/nn/attention.py MultiheadAttention
positions: npgrad/nn/transformer.py LearnedPositionalEmbedding
the page: docs/lessons/attention-basics.md
"""

if __name__ == "__main__":
    main(run)
