"""Autoencoder, inpainting, context prediction, jigsaw, rotation, SimCLR vs random and supervised encoders.

Self-supervised pretraining compared, judged by linear probes and fine-tuning.

One encoder architecture (npgrad.ssl.ConvEncoder: 3x3 convolutions of 16, 32, 64 channels with
batch norm, max pools, global average pool -> 64 features) starts from the same random weights
at a seed and is pretrained on 20,000 Fashion-MNIST training images, without their labels, by
each method: an
autoencoder, inpainting (context encoder), context prediction, jigsaw, rotation and SimCLR;
and, as the ceiling, with all the labels (supervised). Each method gets about the same CPU time
(its number of steps is set from its cost per step; the seconds are reported). Then every
encoder, and the untouched random one, is judged on 1 %, 10 % and 100 % of the labels of those
20,000 images (class-balanced), tested on the first 5,000 test images:

    linear probe  the encoder frozen, a linear classifier on its standardised features
    fine-tuning   the encoder and a new head (batch norm, linear) trained together, at the
                  seeds in finetune_seeds

A picture of each method's test features projected on their first two principal components
shows which methods gather the classes without having seen a label.

    python -c "from npgrad.lessons.self_supervised_comparison import run_seed; run_seed(1, 'runs/ssl')"

runs one seed alone (the seeds are independent; `summarise('runs/ssl')` then writes the table).
"""

import glob
import json
import os
import time

import numpy as np

from npgrad import manual_seed, nn, optim
from npgrad.analysis.plots import pyplot_or_none, save_figure, smooth
from npgrad.data import DataLoader, TensorDataset
from npgrad.datasets import image_arrays
from npgrad.lessons import main
from npgrad.ssl import (
    AutoencoderPretext,
    ContextEncoder,
    ContextPrediction,
    ConvEncoder,
    classifier,
    Jigsaw,
    Rotation,
    SimCLR,
    extract_features,
    fine_tune,
    linear_probe,
    pretrain,
)
from npgrad.ssl.method import StepLogs
from npgrad.ssl.pretext_lesson import EVALUATION, PRETRAIN_STEPS
from npgrad.train import ProgressBar, Trainer
from npgrad.utils.progress import progress

PRETEXT = {
    "autoencoder": AutoencoderPretext,
    "inpainting": ContextEncoder,
    "context prediction": ContextPrediction,
    "jigsaw": Jigsaw,
    "rotation": Rotation,
    "SimCLR": SimCLR,
}
METHODS = [
    "random encoder",
    "supervised",
    "SimCLR",
    "rotation",
    "jigsaw",
    "context prediction",
    "inpainting",
    "autoencoder",
]
CONFIG = {
    "dataset": "fashion-mnist",
    "widths": [16, 32, 64],
    "batch_size": 128,
    "lr": 1e-3,
    "steps": PRETRAIN_STEPS,  # for about 15 s of CPU time each, from the measured cost of a step
    "fractions": [0.01, 0.1, 1.0],
    "probe_steps": EVALUATION["probe_steps"],
    "finetune_steps": 100,
    "seeds": [0, 1, 2],
    "finetune_seeds": [0],
    "train_limit": EVALUATION["train_limit"],
    "test_limit": EVALUATION["test_limit"],
    "methods": METHODS,
}
QUICK = {
    "steps": {"rotation": 40, "supervised": 60},
    "fractions": [0.1, 1.0],
    "probe_steps": 200,
    "finetune_steps": 30,
    "seeds": [0],
    "finetune_seeds": [0],
    "train_limit": 2000,
    "test_limit": 1000,
    "methods": ["random encoder", "rotation", "supervised"],
}


def supervised_pretrain(encoder, train, steps, batch_size, lr, seed):
    """The ceiling: the encoder and a linear head trained on every label for `steps` steps."""
    model = classifier(encoder, int(train[1].max()) + 1)
    logs = StepLogs(steps)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), callbacks=[logs, ProgressBar()])
    loader = DataLoader(TensorDataset(*train), batch_size=batch_size, shuffle=True, generator=seed, drop_last=True)
    trainer.fit(loader, epochs=-(-steps // len(loader)))
    return logs.logs


def pretrained_encoder(method, initial_state, config, train, seed):
    """A copy of the initial encoder trained by `method`; (encoder, per-step logs, CPU and wall seconds)."""
    manual_seed(seed)
    encoder = ConvEncoder(widths=config["widths"])
    encoder.load_state_dict(initial_state)
    cpu, wall, logs = time.process_time(), time.perf_counter(), []
    if method == "supervised":
        logs = supervised_pretrain(encoder, train, config["steps"][method], config["batch_size"], config["lr"], seed)
    elif method in PRETEXT:
        task = PRETEXT[method](encoder, generator=seed)
        steps = config["steps"][method]
        logs = pretrain(task, train[0], steps, config["batch_size"], config["lr"], seed, [ProgressBar()])
    return encoder, logs, time.process_time() - cpu, time.perf_counter() - wall


def principal_components(features, count=2):
    """The features projected on their first `count` principal components."""
    centred = features - features.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:count].T


def run_seed(seed, out_dir, quick=False, config=None):
    """Every method at one seed: pretraining, probes and fine-tuning; writes seed<seed>.json."""
    config = config or {**CONFIG, **(QUICK if quick else {})}
    train, test = image_arrays(config["dataset"], config["train_limit"], config["test_limit"])
    manual_seed(seed)
    initial_state = {name: value.copy() for name, value in ConvEncoder(widths=config["widths"]).state_dict().items()}
    rows, pictures = {}, {}
    result = {"seed": seed, "config": config, "rows": rows}
    for method in progress(config["methods"], desc=f"seed {seed}: methods", unit="method"):
        encoder, logs, cpu, wall = pretrained_encoder(method, initial_state, config, train, seed)
        probe = linear_probe(encoder, train, test, config["fractions"], config["probe_steps"], seed=seed)
        tuned = {}
        if seed in config["finetune_seeds"]:
            tuned = fine_tune(encoder, train, test, config["fractions"], config["finetune_steps"], seed=seed)
        rows[method] = {
            "probe": {str(f): a for f, a in probe.items()},
            "fine_tune": {str(f): a for f, a in tuned.items()},
            "pretrain_steps": len(logs),
            "pretrain_cpu_seconds": round(cpu, 1),
            "pretrain_wall_seconds": round(wall, 1),
            "pretext_curve": logs,
        }
        pictures[method] = principal_components(extract_features(encoder, test[0][:2000]))
        print(
            f"seed {seed} {method:<20} probe {_percentages(probe)}  fine-tune {_percentages(tuned)}  "
            f"pretraining {len(logs)} steps, {cpu:.0f} s CPU",
            flush=True,
        )
        _write(result, out_dir)  # after every method, so that a stopped run keeps what it did
    if pyplot_or_none() is not None:
        result["figures"] = [
            plot_features(pictures, test[1][:2000], os.path.join(out_dir, f"features_pca_seed{seed}.png")),
            plot_pretext_curves(rows, os.path.join(out_dir, f"pretext_curves_seed{seed}.png")),
        ]
    return result


def _write(result, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, f"seed{result['seed']}.json"), "w") as f:
        json.dump(result, f)


def _percentages(accuracies):
    return " ".join(f"{100 * a:5.1f}" for a in accuracies.values())


def summarise(out_dir):
    """The table over every seed<seed>.json in out_dir: per method, evaluation and label fraction
    the mean and spread (min-max) over the seeds that have it; printed and returned."""
    results = [json.load(open(path)) for path in sorted(glob.glob(os.path.join(out_dir, "seed*.json")))]
    if not results:
        raise FileNotFoundError(f"summarise: no seed*.json in {out_dir}")
    fractions = [str(f) for f in results[0]["config"]["fractions"]]
    table = {}
    for method in results[0]["config"]["methods"]:
        rows = [r["rows"][method] for r in results if method in r["rows"]]
        if rows:
            table[method] = {
                kind: {f: _spread([row[kind][f] for row in rows if f in row[kind]]) for f in fractions}
                for kind in ("probe", "fine_tune")
            }
            table[method]["pretrain_cpu_seconds"] = [row["pretrain_cpu_seconds"] for row in rows]
            table[method]["pretrain_steps"] = rows[0]["pretrain_steps"]
    labels = " ".join(f"{float(f):>16.0%}" for f in fractions)
    print(f"\n{results[0]['config']['dataset']}: test accuracy %, mean (min-max) over the seeds run")
    print(f"{'method':<20} {'linear probe':^{17 * len(fractions)}}   {'fine-tuning':^{17 * len(fractions)}}")
    print(f"{'labels':<20} {labels}   {labels}")
    for method, row in table.items():
        cells = [_cell(row[kind][f]) for kind in ("probe", "fine_tune") for f in fractions]
        print(f"{method:<20} {' '.join(cells[: len(fractions)])}   {' '.join(cells[len(fractions) :])}")
    return {"seeds": [r["seed"] for r in results], "table": table}


def _spread(values):
    if not values:
        return None
    return {"mean": float(np.mean(values)), "min": float(min(values)), "max": float(max(values)), "seeds": len(values)}


def _cell(spread):
    if spread is None:
        return f"{'-':>16}"
    if spread["seeds"] == 1:
        return f"{100 * spread['mean']:16.1f}"
    return f"{100 * spread['mean']:5.1f} ({100 * spread['min']:.1f}-{100 * spread['max']:.1f})"


def plot_features(pictures, labels, path):
    plt = pyplot_or_none()
    fig, axes = plt.subplots(
        2, (len(pictures) + 1) // 2, figsize=(3.2 * ((len(pictures) + 1) // 2), 6.4), squeeze=False
    )
    for ax, (method, points) in zip(axes.flat, pictures.items()):
        ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=2, vmin=-0.5, vmax=9.5)
        ax.set_title(method, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[len(pictures) :]:
        ax.axis("off")
    fig.suptitle("test features on their first two principal components, coloured by class")
    return save_figure(fig, path)


def plot_pretext_curves(rows, path, window=20):
    """The pretext loss of every method against its steps, smoothed over `window` steps."""
    plt = pyplot_or_none()
    curves = {m: [log["loss"] for log in r["pretext_curve"]] for m, r in rows.items() if r["pretext_curve"]}
    fig, axes = plt.subplots(1, len(curves), figsize=(3 * len(curves), 2.8), squeeze=False)
    for ax, (method, losses) in zip(axes[0], curves.items()):
        ax.plot(smooth(losses, window))
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("pretext loss")
    return save_figure(fig, path)


def run(out_dir, quick=False):
    config = {**CONFIG, **(QUICK if quick else {})}
    for seed in config["seeds"]:
        run_seed(seed, out_dir, config=config)
    return {"config": config, **summarise(out_dir)}


READ_NEXT = """
the methods: npgrad/ssl/autoencoder.py AutoencoderPretext, npgrad/ssl/inpainting.py ContextEncoder,
  npgrad/ssl/context_prediction.py ContextPrediction, npgrad/ssl/jigsaw.py Jigsaw,
  npgrad/ssl/rotation.py Rotation, npgrad/ssl/simclr.py SimCLR (one lesson each: rotation, simclr, ...)
the shared encoder: npgrad/ssl/encoder.py ConvEncoder
pretraining: npgrad/ssl/method.py pretrain and PretextTrainer
judging: npgrad/ssl/evaluation.py linear_probe and fine_tune
the page: docs/lessons/self-supervised-comparison.md
"""

if __name__ == "__main__":
    main(run)
