"""A character-level GPT on Tiny Shakespeare with nanoGPT's CPU configuration.

nanoGPT's README trains its Shakespeare model on a CPU with config/train_shakespeare_char.py
and these overrides: 4 layers, 4 heads, 128 features, a context of 64 characters, batches of
12, 2,000 iterations (the learning rate decaying over the same 2,000), no dropout, and 20
evaluation batches; it reports a validation loss of about 1.88. The rest comes from that config
and train.py's defaults: AdamW (lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on the matrices
only), gradient clipping at norm 1, no biases, a linear warm-up over 100 iterations and then a
cosine decay to 1e-4. Every 250 iterations (and at the end) the loss is estimated as nanoGPT
does: the mean over eval_iters random batches of each split (the first 90 % of the text
trains, the last 10 % validates), in eval mode. Then the model writes, from a newline.

benchmarks/gpt_shakespeare_torch.py trains a PyTorch GPT from the same initial weights on the
same batches through `train_and_evaluate` below, to compare the curves and the wall times.
"""

import math
import os
import time

import numpy as np

from npgrad import manual_seed, nn, no_grad, optim, tensor
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.models.gpt import GPT, GPTConfig
from npgrad.nn.module import eval_mode
from npgrad.datasets import shakespeare_splits
from npgrad.optim import weight_decay_groups
from npgrad.text import random_windows, windows_at
from npgrad.utils.progress import progress
from npgrad.lessons import main

CONFIG = {
    "n_layer": 4,
    "n_head": 4,
    "n_embd": 128,
    "block_size": 64,
    "batch_size": 12,
    "dropout": 0.0,
    "bias": False,
    "max_iters": 2000,
    "lr_decay_iters": 2000,
    "learning_rate": 1e-3,
    "min_lr": 1e-4,
    "warmup_iters": 100,
    "betas": (0.9, 0.99),
    "weight_decay": 0.1,
    "grad_clip": 1.0,
    "eval_interval": 250,
    "eval_iters": 20,
    "seed": 1337,
    "validation_characters": None,
    "sample_length": 500,
    "temperature": 0.8,
}
QUICK_CONFIG = {
    **CONFIG,
    "n_layer": 1,
    "n_head": 2,
    "n_embd": 32,
    "block_size": 32,
    "batch_size": 8,
    "max_iters": 60,
    "lr_decay_iters": 60,
    "learning_rate": 1e-2,
    "warmup_iters": 5,
    "eval_interval": 30,
    "eval_iters": 4,
    "validation_characters": 20_000,
    "sample_length": 60,
}


def config_for(quick):
    return QUICK_CONFIG if quick else CONFIG


def learning_rate(iteration, config):
    """nanoGPT's schedule: linear warm-up to learning_rate, cosine decay to min_lr at
    lr_decay_iters, min_lr after."""
    lr, min_lr, warmup, decay = (config[k] for k in ("learning_rate", "min_lr", "warmup_iters", "lr_decay_iters"))
    if iteration < warmup:
        return lr * (iteration + 1) / (warmup + 1)
    if iteration > decay:
        return min_lr
    progress = (iteration - warmup) / (decay - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)


def build_model(config, vocab_size):
    """The lesson's GPT, initialised from config["seed"] (nanoGPT's initialisation)."""
    manual_seed(config["seed"])
    return GPT(
        GPTConfig(
            n_layer=config["n_layer"],
            n_head=config["n_head"],
            n_embd=config["n_embd"],
            block_size=config["block_size"],
            vocab_size=vocab_size,
            dropout=config["dropout"],
            bias=config["bias"],
        )
    )


def take_step(optimizer, lr, loss, clip_grad_norm, parameters, max_norm):
    """One optimizer step at learning rate lr on `loss`, gradients clipped to max_norm by
    clip_grad_norm: the same for npgrad and PyTorch. Returns the loss as a float."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    clip_grad_norm(parameters, max_norm)
    optimizer.step()
    return loss.item()


def npgrad_steps(model, config):
    """(train_step(inputs, targets, lr) -> loss, eval_loss(inputs, targets) -> loss) for npgrad."""
    optimizer = optim.AdamW(
        weight_decay_groups(model.named_parameters(), config["weight_decay"]),
        lr=config["learning_rate"],
        betas=config["betas"],
    )

    def train_step(inputs, targets, lr):
        _, loss = model(tensor(inputs), tensor(targets))
        return take_step(optimizer, lr, loss, nn.utils.clip_grad_norm_, model.parameters(), config["grad_clip"])

    def eval_loss(inputs, targets):
        with eval_mode(model), no_grad():
            return model(tensor(inputs), tensor(targets))[1].item()

    return train_step, eval_loss


def train_and_evaluate(train_step, eval_loss, train_ids, val_ids, config, name="npgrad"):
    """nanoGPT's loop, whatever the framework. Training batches come from a generator seeded
    with config["seed"] and evaluation batches from one seeded with seed + 1, so every framework
    sees the same windows. Returns the training losses, the evaluation curve [(iteration, train
    loss, validation loss)] (iteration 0 is the untrained model), the median ms per training step
    and the wall time of the whole run (evaluations included)."""
    batches, eval_batches = np.random.default_rng(config["seed"]), np.random.default_rng(config["seed"] + 1)
    size = (config["batch_size"], config["block_size"])

    def estimate(ids):
        return float(
            np.mean([eval_loss(*random_windows(ids, *size, eval_batches)) for _ in range(config["eval_iters"])])
        )

    losses, step_seconds, curve = [], [], []
    bar = progress(total=config["max_iters"], desc=name, unit="iter")
    started = time.perf_counter()
    for iteration in range(config["max_iters"] + 1):
        if iteration % config["eval_interval"] == 0 or iteration == config["max_iters"]:
            curve.append((iteration, estimate(train_ids), estimate(val_ids)))
            print(
                f"{name}: iteration {iteration}: train loss {curve[-1][1]:.4f}, val loss {curve[-1][2]:.4f}", flush=True
            )
        if iteration == config["max_iters"]:
            break
        inputs, targets = random_windows(train_ids, *size, batches)
        step_started = time.perf_counter()
        losses.append(train_step(inputs, targets, learning_rate(iteration, config)))
        step_seconds.append(time.perf_counter() - step_started)
        bar.update(1)
    bar.close()
    return {
        "train_losses": losses,
        "eval_curve": curve,
        "ms_per_step": 1000 * float(np.median(step_seconds)),
        "wall_seconds": time.perf_counter() - started,
    }


def full_split_loss(eval_loss, ids, config, windows_per_batch=64):
    """The mean loss over every character of a split, read as consecutive windows of block_size:
    what the eval_iters random batches estimate, without their sampling noise (20 batches of
    12 x 64 characters move the estimate by about ±0.01)."""
    block = config["block_size"]
    starts = np.arange(0, len(ids) - block, block)
    chunks = [starts[i : i + windows_per_batch] for i in range(0, len(starts), windows_per_batch)]
    return float(sum(len(chunk) * eval_loss(*windows_at(ids, chunk, block)) for chunk in chunks) / len(starts))


def plot_curves(runs, path, title):
    """Training loss per iteration and the evaluated validation loss, one colour per run
    {label: result}; dashed styles keep overlapping curves visible."""
    plt = pyplot_or_none()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for style, (label, result) in zip(("-", "--"), runs.items()):
        (line,) = ax.plot(
            np.arange(len(result["train_losses"])),
            result["train_losses"],
            style,
            lw=0.6,
            alpha=0.6,
            label=f"{label}: training batch loss",
        )
        steps, _, val = zip(*result["eval_curve"])
        ax.plot(steps, val, style, marker="o", ms=3, color=line.get_color(), label=f"{label}: validation loss")
    ax.axhline(1.88, color="gray", ls=":", label="nanoGPT README: about 1.88")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cross-entropy (nats / character)")
    ax.set_ylim(1.0, 4.5)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    return save_figure(fig, path, dpi=100)


def write_sample(model, text, config, path):
    """config["sample_length"] characters after a newline (nanoGPT's sample.py start) at
    config["temperature"], printed, saved and returned."""
    ids = model.generate(
        tensor(text.encode("\n")[None]),
        config["sample_length"],
        temperature=config["temperature"],
        generator=config["seed"],
    ).numpy()[0]
    sample = text.decode(ids)
    with open(path, "w", encoding="utf-8") as f:
        f.write(sample)
    print(f"--- sample, temperature {config['temperature']} ---\n{sample}\n")
    return sample


def run(out_dir, quick=False):
    config = config_for(quick)
    train_ids, val_ids, text = shakespeare_splits(config["validation_characters"])
    model = build_model(config, text.vocab_size)
    print(
        f"GPT: {model.num_parameters() / 1e6:.2f}M parameters ({model.num_parameters(non_embedding=True):,} "
        f"without the position embedding, as nanoGPT counts)"
    )
    train_step, eval_loss = npgrad_steps(model, config)
    result = train_and_evaluate(train_step, eval_loss, train_ids, val_ids, config)
    iteration, train_loss, val_loss = result["eval_curve"][-1]
    full_val_loss = full_split_loss(eval_loss, val_ids, config)
    print(
        f"\nafter {iteration} iterations: train loss {train_loss:.4f}, val loss {val_loss:.4f} "
        f"(nanoGPT's README: about 1.88; the whole validation split: {full_val_loss:.4f}); "
        f"{result['ms_per_step']:.1f} ms/iteration, {result['wall_seconds']:.0f} s in all\n"
    )
    sample = write_sample(model, text, config, os.path.join(out_dir, "sample.txt"))
    figure = plot_curves(
        {"npgrad": result},
        os.path.join(out_dir, "loss_curves.png"),
        f"GPT on Tiny Shakespeare (nanoGPT CPU config): val loss {val_loss:.3f}",
    )
    return {
        "config": config,
        "final_train_loss": train_loss,
        "final_val_loss": val_loss,
        "full_val_loss": full_val_loss,
        **result,
        "sample": sample,
        "figures": [figure],
    }


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/attention.py AttentionFunction,
  npgrad/textbook/normalization.py LayerNormFunction
fast ops: npgrad/functional/attention.py scaled_dot_product_attention,
  npgrad/functional/normalization.py layer_norm
the model: npgrad/models/gpt.py GPT, CausalSelfAttention and Block (nanoGPT's model.py)
the optimizer: npgrad/optim/adamw.py AdamW, npgrad/optim/param_groups.py weight_decay_groups,
  npgrad/nn/utils/__init__.py clip_grad_norm_
the page: docs/lessons/gpt-shakespeare.md
"""

if __name__ == "__main__":
    main(run)
