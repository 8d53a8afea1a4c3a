"""The run folder `npgrad train` writes, for trainings outside the classifier job (VAE, GAN):
config.json, metrics.csv after every epoch and the last checkpoint."""

import json
import os

from .callbacks import Callback, CSVLogger, ModelCheckpoint, ProgressBar


def write_config(out_dir: str, config: dict) -> None:
    """out_dir/config.json: the settings of the run (the folder is made if need be)."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def run_callbacks(out_dir: str, progress: bool = True) -> list[Callback]:
    """Trainer callbacks writing out_dir/metrics.csv and out_dir/last.safetensors, and a
    ProgressBar unless progress=False."""
    return [
        CSVLogger(os.path.join(out_dir, "metrics.csv")),
        ModelCheckpoint(os.path.join(out_dir, "last.safetensors")),
    ] + ([ProgressBar()] if progress else [])
