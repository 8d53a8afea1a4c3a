"""Lessons: one runnable experiment per curriculum topic, each registered under a name.

A recipe is a function `run(out_dir, quick=False) -> dict` that prints its table, writes its
figures into out_dir and returns its results. `npgrad list` shows them and
`npgrad run NAME` runs one; `quick=True` is the small version used by the smoke tests.
"""

import importlib
from dataclasses import dataclass
from typing import Callable

RECIPES = {}
_MODULES = [
    "perceptron",
    "init_activations",
    "vanishing_gradients",
    "classifier",
    "optimizers",
    "overfitting",
    "batch_size_lr",
    "mnist1d_baselines",
    "sign_language_mlp",
    "conv_arithmetic",
    "feature_maps",
    "transfer_learning",
    "resnet_vs_plain",
    "architectures",
    "char_rnn",
    "seq2seq_attention",
    "rnn_modes",
    "long_dependencies",
    "gpt_shakespeare",
    "attention_basics",
    "transformer_translation",
    "inductive_bias",
    "in_context_learning",
    "vae",
    "gan",
    "gan_mode_collapse",
    "fid_sanity",
    "autoencoder",
    "inpainting",
    "data_parallel",
    "wordpiece",
    "bert_pretrain",
    "bert_finetune",
    "masking_ratio",
    "ssl_lessons",
    "self_supervised_comparison",
]


@dataclass
class Recipe:
    name: str
    summary: str
    run: Callable


def recipe(name, summary):
    """Register the decorated function as the lesson `name`."""

    def register(run):
        RECIPES[name] = Recipe(name, summary, run)
        return run

    return register


def all_recipes():
    for module in _MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return RECIPES


def get(name):
    recipes = all_recipes()
    if name not in recipes:
        raise KeyError(f"no lesson named {name!r}; `npgrad list` shows them: {', '.join(sorted(recipes))}")
    return recipes[name]
