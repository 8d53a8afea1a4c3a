"""The `npgrad run gpt-shakespeare` lesson trained by PyTorch: the two loss curves and wall times.

    python benchmarks/gpt_shakespeare_torch.py --out runs/gpt-shakespeare/torch.json \
        --compare runs/gpt-shakespeare/result.json --figure docs/figures/gpt_shakespeare.png

A GPT written in PyTorch with npgrad.models.GPT's layout and parameter names (nanoGPT's), the
lesson's configuration, its initial weights (the npgrad model's state_dict loaded as is), the
same AdamW groups, learning-rate schedule, gradient clipping, training and evaluation batches:
the loop is the lesson's own `train_and_evaluate`, only the model and the step are PyTorch's.
--compare reads the lesson's result.json and prints the curves side by side. --interleaved N
times N training steps of each framework taken in turn in this one process (the fairest speed
comparison on a machine whose load changes), instead of training:

    OPENBLAS_NUM_THREADS=1 python benchmarks/gpt_shakespeare_torch.py --interleaved 200

--nanogpt-seeds S... trains instead as nanoGPT's own train.py does, all its random numbers
PyTorch's: torch.manual_seed(S), nanoGPT's initialisation, every batch drawn by torch.randint
in nanoGPT's order (the first batch before the loop, the evaluation batches, then each next
batch right after the forward pass). It prints, seed by seed, the validation loss as nanoGPT
estimates it (eval_iters batches) and over the whole validation split: how far the README's
"about 1.88" can move with nothing but the seed.

    python benchmarks/gpt_shakespeare_torch.py --nanogpt-seeds 1337 0 1 2 3 --out runs/gpt-shakespeare/nanogpt_seeds.json
"""

import argparse
import json
import math
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from npgrad.datasets import shakespeare_splits
from npgrad.lessons import gpt_shakespeare as lesson
from npgrad.optim import weight_decay_groups
from npgrad.text import random_windows, windows_at


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, bias):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.n_head = n_head

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, n_embd, bias):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=bias)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, bias):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, bias)
        self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
        self.mlp = MLP(n_embd, bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """nanoGPT's model without dropout (the lesson uses none), tied embedding and output layer."""

    def __init__(self, config, vocab_size):
        super().__init__()
        d, bias = config["n_embd"], config["bias"]
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(vocab_size, d),
                wpe=nn.Embedding(config["block_size"], d),
                h=nn.ModuleList([Block(d, config["n_head"], bias) for _ in range(config["n_layer"])]),
                ln_f=nn.LayerNorm(d, bias=bias),
            )
        )
        self.lm_head = nn.Linear(d, vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, idx, targets):
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(idx.shape[1]))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def model_like_the_lesson(config, vocab_size):
    """PyTorch's model, starting from the lesson's initial npgrad weights."""
    model = GPT(config, vocab_size)
    initial = lesson.build_model(config, vocab_size).state_dict()
    model.load_state_dict({name: torch.from_numpy(np.array(value)) for name, value in initial.items()})
    return model


def torch_steps(model, config):
    """(train_step, eval_loss) as the lesson's loop wants them, computed by PyTorch."""
    optimizer = torch.optim.AdamW(
        weight_decay_groups(model.named_parameters(), config["weight_decay"]),
        lr=config["learning_rate"],
        betas=config["betas"],
    )

    def train_step(inputs, targets, lr):
        loss = model(torch.from_numpy(inputs), torch.from_numpy(targets))
        return lesson.take_step(optimizer, lr, loss, nn.utils.clip_grad_norm_, model.parameters(), config["grad_clip"])

    def eval_loss(inputs, targets):
        model.eval()
        with torch.no_grad():
            value = model(torch.from_numpy(inputs), torch.from_numpy(targets)).item()
        model.train()
        return value

    return train_step, eval_loss


def nanogpt_initialise(model, n_layer):
    """nanoGPT's _init_weights applied module by module, then the residual projections again."""
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
    for name, parameter in model.named_parameters():
        if name.endswith("c_proj.weight"):
            nn.init.normal_(parameter, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))


def nanogpt_run(config, seed, train_ids, val_ids, vocab_size):
    """One run of nanoGPT's loop with PyTorch's random numbers from torch.manual_seed(seed):
    (validation loss estimated as nanoGPT does at the last iteration, over the whole split)."""
    torch.manual_seed(seed)
    model = GPT(config, vocab_size)
    nanogpt_initialise(model, config["n_layer"])
    train_step, eval_loss = torch_steps(model, config)
    splits = {"train": torch.from_numpy(train_ids), "val": torch.from_numpy(val_ids)}
    block = config["block_size"]

    def get_batch(split):
        data = splits[split]
        starts = torch.randint(len(data) - block, (config["batch_size"],))
        return windows_at(data.numpy(), starts.numpy(), block)

    def estimate(split):
        return float(np.mean([eval_loss(*get_batch(split)) for _ in range(config["eval_iters"])]))

    inputs, targets = get_batch("train")
    for iteration in range(config["max_iters"] + 1):
        if iteration % config["eval_interval"] == 0:
            estimate("train")  # unused here, but its batches move PyTorch's generator as in nanoGPT
            val_loss = estimate("val")
        if iteration == config["max_iters"]:
            break
        step_inputs, step_targets = inputs, targets
        inputs, targets = get_batch("train")  # nanoGPT fetches the next batch before backward
        train_step(step_inputs, step_targets, lesson.learning_rate(iteration, config))
    return val_loss, lesson.full_split_loss(eval_loss, val_ids, config)


def nanogpt_seeds(config, seeds, train_ids, val_ids, vocab_size):
    """nanogpt_run for every seed, printed as it ends; {seed: (estimated, whole split)}."""
    results = {}
    for seed in seeds:
        results[seed] = nanogpt_run(config, seed, train_ids, val_ids, vocab_size)
        print(
            f"seed {seed}: val loss {results[seed][0]:.4f} (nanoGPT's estimate), {results[seed][1]:.4f} (whole split)"
        )
    for label, column in (("nanoGPT's estimate", 0), ("whole split", 1)):
        values = [r[column] for r in results.values()]
        print(f"{label}: mean {np.mean(values):.4f}, min {min(values):.4f}, max {max(values):.4f}")
    return results


def compare(result, lesson_result_path, figure):
    """Both evaluation curves side by side, the first training losses, both wall times."""
    with open(lesson_result_path) as f:
        npgrad_result = json.load(f)
    print(f"\n{'iteration':>9} {'npgrad train':>13} {'npgrad val':>11} {'PyTorch train':>14} {'PyTorch val':>12}")
    for (it, n_train, n_val), (_, t_train, t_val) in zip(npgrad_result["eval_curve"], result["eval_curve"]):
        print(f"{it:>9} {n_train:>13.4f} {n_val:>11.4f} {t_train:>14.4f} {t_val:>12.4f}")
    first = zip(npgrad_result["train_losses"][:10], result["train_losses"][:10])
    print("first training losses (npgrad / PyTorch): " + ", ".join(f"{a:.4f}/{b:.4f}" for a, b in first))
    for name, r in (("npgrad", npgrad_result), ("PyTorch", result)):
        print(f"{name}: {r['ms_per_step']:.1f} ms/iteration (median), {r['wall_seconds']:.0f} s wall in all")
    if figure:
        lesson.plot_curves(
            {"npgrad": npgrad_result, "PyTorch (same start, same batches)": result},
            figure,
            "GPT on Tiny Shakespeare: npgrad and PyTorch",
        )


def interleaved_speed(config, train_ids, vocab_size, steps):
    """Median ms per training step of npgrad and PyTorch, their steps taken in turn on the same
    batches (the first 5 of each left out as warm-up)."""
    steppers = {
        "npgrad": lesson.npgrad_steps(lesson.build_model(config, vocab_size), config)[0],
        "PyTorch": torch_steps(model_like_the_lesson(config, vocab_size), config)[0],
    }
    batches, seconds = np.random.default_rng(config["seed"]), {name: [] for name in steppers}
    for _ in range(steps):
        inputs, targets = random_windows(train_ids, config["batch_size"], config["block_size"], batches)
        for name, step in steppers.items():
            started = time.perf_counter()
            step(inputs, targets, config["learning_rate"])
            seconds[name].append(time.perf_counter() - started)
    ms = {name: 1000 * float(np.median(values[5:])) for name, values in seconds.items()}
    print(
        f"{steps} steps each, interleaved, {torch.get_num_threads()} PyTorch threads: npgrad {ms['npgrad']:.1f} ms, "
        f"PyTorch {ms['PyTorch']:.1f} ms, ratio {ms['npgrad'] / ms['PyTorch']:.2f}"
    )
    return ms


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the lesson's quick configuration")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1, as the lesson's run)")
    parser.add_argument("--compare", metavar="RESULT_JSON", help="the npgrad lesson's result.json")
    parser.add_argument("--figure", help="with --compare: write both curves to this PNG")
    parser.add_argument("--out", help="write PyTorch's results to this JSON file")
    parser.add_argument("--interleaved", type=int, metavar="N", help="only time N steps of each framework, in turn")
    parser.add_argument("--nanogpt-seeds", type=int, nargs="+", metavar="S", help="train as nanoGPT does, these seeds")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = lesson.config_for(args.quick)
    train_ids, val_ids, text = shakespeare_splits(config["validation_characters"])
    if args.interleaved:
        return interleaved_speed(config, train_ids, text.vocab_size, args.interleaved)
    if args.nanogpt_seeds:
        results = nanogpt_seeds(config, args.nanogpt_seeds, train_ids, val_ids, text.vocab_size)
        if args.out:
            with open(args.out, "w") as f:
                json.dump({"config": config, "torch_version": torch.__version__, "val_loss": results}, f, indent=2)
        return results
    model = model_like_the_lesson(config, text.vocab_size)
    result = lesson.train_and_evaluate(*torch_steps(model, config), train_ids, val_ids, config, "PyTorch")
    print(
        f"\nPyTorch {torch.__version__}, {torch.get_num_threads()} threads: val loss {result['eval_curve'][-1][2]:.4f}, "
        f"{result['ms_per_step']:.1f} ms/iteration, {result['wall_seconds']:.0f} s"
    )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(
                {
                    "config": config,
                    **result,
                    "final_val_loss": result["eval_curve"][-1][2],
                    "torch_version": torch.__version__,
                    "threads": torch.get_num_threads(),
                },
                f,
                indent=2,
            )
    if args.compare:
        compare(result, args.compare, args.figure)
    return result if math.isfinite(result["eval_curve"][-1][2]) else None


if __name__ == "__main__":
    main()
