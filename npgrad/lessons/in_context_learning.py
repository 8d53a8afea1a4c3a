"""A small GPT-style model learns linear functions from its prompt, beside least squares.

In-context learning, the few-shot idea behind GPT-3, at a size a CPU can train
(after Garg et al., "What Can Transformers Learn In-Context? A Case Study of Simple Function
Classes", 2022).

Every prompt draws a fresh linear function y = w . x (w and each x from N(0, I) in R^5) and
shows k examples of it before a query: (x_1, y_1, ..., x_k, y_k, x_query). A GPT-style
Transformer (causal, pre-norm, learned positions) reads the prompt one token at a time (an x
token is (x, 0), a y token (0, ..., 0, y)) and, at each x token, predicts its y. It is
trained on random prompts only, so the one thing that helps it is to work out w from the
examples in the prompt itself: no weight changes at test time, the learning happens in the
forward pass. Training reads the prediction at every x token, so one prompt of K examples
teaches every k from 0 to K - 1.

After training, its squared error on the query, divided by d (the error of predicting 0), is
drawn against k, beside three estimators computed on the same prompts:
  least squares  the minimum-norm w that fits the k examples (exact once k >= d = 5)
  3-NN           the mean y of the 3 examples whose x is nearest the query
  averaging      w ~ (1/k) sum y_i x_i, which is unbiased but noisy
The Transformer should track least squares: a large error while k < 5, which falls to about
zero at k = 5, where the prompt pins w down; the others stay far above it.
"""

import os

import numpy as np

from npgrad import manual_seed, nn, no_grad, optim, tensor
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.nn.module import eval_mode
from npgrad.utils.progress import progress
from npgrad.lessons import main

FULL = {
    "dim": 5,
    "examples": 12,
    "width": 64,
    "layers": 3,
    "heads": 4,
    "batch": 64,
    "steps": 5000,
    "lr": 1e-3,
    "test_prompts": 2000,
}
QUICK = {**FULL, "dim": 2, "examples": 6, "width": 32, "layers": 2, "steps": 300, "test_prompts": 500}


def linear_prompts(rng, n, examples, dim, active=None):
    """(xs (n, examples + 1, dim), ys (n, examples + 1)): a fresh w per prompt, y = w . x;
    only the first `active` coordinates of x are drawn (the rest 0), all by default."""
    w = rng.standard_normal((n, dim, 1))
    xs = rng.standard_normal((n, examples + 1, dim))
    xs[..., dim if active is None else active :] = 0
    return xs.astype(np.float32), (xs @ w)[..., 0].astype(np.float32)


def active_dims(step, config):
    """The curriculum (Garg et al.'s, on dimensions only): x starts with 2 live coordinates and
    gains one at a time until all dim are live at 40 % of the steps."""
    grown = int((config["dim"] - 1) * step / (0.4 * config["steps"]))
    return min(config["dim"], 2 + grown)


def interleave(xs, ys):
    """Tokens (n, 2 (examples + 1), dim + 1): x_1 as (x_1, 0), y_1 as (0, .., 0, y_1), x_2, ...
    The last y is a token too (training never reads the prediction after it)."""
    n, length, dim = xs.shape
    tokens = np.zeros((n, length, 2, dim + 1), np.float32)
    tokens[:, :, 0, :dim] = xs
    tokens[:, :, 1, dim] = ys
    return tokens.reshape(n, 2 * length, dim + 1)


class PromptTransformer(nn.Module):
    """Tokens (B, L, dim + 1) -> one prediction per token (B, L): a Linear reads in each token,
    learned positions are added, a causal pre-norm Transformer encoder (GELU) mixes each token
    with those before it, and a Linear reads out a number after a final LayerNorm."""

    def __init__(self, dim, width, layers, heads, max_tokens):
        super().__init__()
        self.read_in = nn.Linear(dim + 1, width)
        self.positions = nn.LearnedPositionalEmbedding(max_tokens, width, batch_first=True)
        layer = nn.TransformerEncoderLayer(
            width, heads, 4 * width, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(width))
        self.read_out = nn.Linear(width, 1)

    def forward(self, tokens):
        length = tokens.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(length)
        hidden = self.encoder(self.positions(self.read_in(tokens)), mask=causal, is_causal=True)
        return self.read_out(hidden)[..., 0]


def predict_at_x_tokens(model, xs, ys):
    """The model's prediction of every y_i (n, examples + 1), each read at the token x_i."""
    return model(tensor(interleave(xs, ys)))[:, 0::2]


def train(model, config, rng):
    """AdamW with a linear warm-up over the first 5 % of the steps and cosine decay, on prompts
    of the curriculum's dimension; the loss is the squared error at every x token over d.
    Returns the losses."""
    optimizer = optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=0.0)
    warmup = max(1, config["steps"] // 20)
    scheduler = optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: float(min((step + 1) / warmup, 0.5 * (1 + np.cos(np.pi * min(step / config["steps"], 1.0))))),
    )
    losses = []
    for step in progress(range(config["steps"]), desc="Transformer", unit="step"):
        xs, ys = linear_prompts(rng, config["batch"], config["examples"], config["dim"], active_dims(step, config))
        loss = ((predict_at_x_tokens(model, xs, ys) - tensor(ys)) ** 2).mean() / config["dim"]
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


# ------------------------------------------------------------------ the estimators beside it
def least_squares(xs, ys, query):
    """The minimum-norm least-squares w of the examples (pinv), applied to the query."""
    if len(xs) == 0:
        return 0.0
    return float(query @ (np.linalg.pinv(xs) @ ys))


def nearest_neighbours(xs, ys, query, neighbours=3):
    """The mean y of the `neighbours` examples nearest the query (fewer while k is smaller)."""
    if len(xs) == 0:
        return 0.0
    nearest = np.argsort(((xs - query) ** 2).sum(axis=1))[:neighbours]
    return float(ys[nearest].mean())


def averaging(xs, ys, query):
    """w ~ (1/k) sum y_i x_i, applied to the query: E[y x] = w when x ~ N(0, I)."""
    if len(xs) == 0:
        return 0.0
    return float(query @ (ys @ xs) / len(xs))


ESTIMATORS = {"least squares": least_squares, "3-nearest neighbours": nearest_neighbours, "averaging": averaging}


def errors_by_k(model, xs, ys):
    """{name: normalised squared error of the query at each k = 0..examples}: the query after
    k examples is the (k+1)-th x of each test prompt, so every k uses the same prompts."""
    examples, dim = xs.shape[1] - 1, xs.shape[2]
    with eval_mode(model), no_grad():
        predictions = predict_at_x_tokens(model, xs, ys).numpy()
    errors = {"Transformer": ((predictions - ys) ** 2).mean(axis=0) / dim}
    for name, estimate in ESTIMATORS.items():
        table = np.array(
            [[estimate(x[:k], y[:k], x[k]) for k in range(examples + 1)] for x, y in zip(xs, ys)], np.float64
        )
        errors[name] = ((table - ys) ** 2).mean(axis=0) / dim
    return {name: values.tolist() for name, values in errors.items()}


def print_table(errors, dim):
    ks = range(len(errors["Transformer"]))
    print(f"\nsquared error of the query / d, by the number of examples k in the prompt (d = {dim})")
    print(f"{'k':<22}" + "".join(f"{k:>7}" for k in ks))
    for name, values in errors.items():
        print(f"{name:<22}" + "".join(f"{v:>7.3f}" for v in values))


def plot_errors(errors, dim, path):
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for (style, marker), (name, values) in zip((("-", "o"), ("--", "s"), ("-.", "^"), (":", "D")), errors.items()):
        ax.plot(range(len(values)), values, style, marker=marker, ms=4, label=name)
    ax.axvline(dim, color="gray", ls=":", label=f"k = d = {dim}")
    ax.set_xlabel("examples in the prompt, k")
    ax.set_ylabel("squared error of the query / d")
    ax.set_title("In-context learning of y = w . x: a fresh w in every prompt", fontsize=10)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=100)


def run(out_dir, quick=False):
    config = QUICK if quick else FULL
    manual_seed(0)
    model = PromptTransformer(
        config["dim"], config["width"], config["layers"], config["heads"], 2 * (config["examples"] + 1)
    )
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{parameters:,} parameters; {config['steps']:,} steps of {config['batch']} random prompts")
    losses = train(model, config, np.random.default_rng(0))
    xs, ys = linear_prompts(np.random.default_rng(1), config["test_prompts"], config["examples"], config["dim"])
    errors = errors_by_k(model, xs, ys)
    print_table(errors, config["dim"])
    figure = plot_errors(errors, config["dim"], os.path.join(out_dir, "error_by_k.png"))
    return {
        "config": config,
        "parameters": parameters,
        "first_loss": losses[0],
        "final_loss": float(np.mean(losses[-100:])),
        "errors": errors,
        "figures": [figure],
    }


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/attention.py AttentionFunction,
  npgrad/textbook/normalization.py LayerNormFunction
fast ops: npgrad/functional/attention.py scaled_dot_product_attention, npgrad/nn/transformer.py
  TransformerEncoderLayer (norm_first, causal mask) and LearnedPositionalEmbedding
the schedule: npgrad/optim/lr_scheduler.py LambdaLR; the optimizer: npgrad/optim/adamw.py AdamW
the page: docs/lessons/in-context-learning.md
"""

if __name__ == "__main__":
    main(run)
