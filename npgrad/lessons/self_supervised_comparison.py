"""Autoencoder, inpainting, context prediction, jigsaw, rotation, SimCLR vs random and supervised encoders.

Self-supervised pretraining compared, judged by linear probes and fine-tuning, on Fashion-MNIST
and MNIST.

One encoder architecture (npgrad.ssl.ConvEncoder: 3x3 convolutions of 16, 32, 64 channels with
batch norm, max pools, global average pool -> 64 features) starts from the same random weights
and is pretrained on the first 20,000 training images of a data set, without their labels, by
each method: an autoencoder, inpainting (context encoder), context prediction, jigsaw, rotation
and SimCLR; and, as the ceiling, with all the labels (supervised). Each method gets the same
CPU time: its step count (STEPS) was calibrated once from its measured cost per step for
PRETRAIN_CPU_SECONDS of one thread, and is fixed, so a rerun repeats the result; the seconds it
really took are reported. Then every encoder, and the untouched random one, is judged on 1 %,
10 % and 100 % of the labels of those 20,000 images (class-balanced), tested on the first
5,000 test images, at seeds 0, 1 and 2 (the labelled subset and the classifier's start):

    linear probe  the encoder frozen, a linear classifier on its standardised features: the
                  global average of every stage's output side by side (16 + 32 + 64), since a
                  pretext task turns the last stage most to itself (chosen on a validation split)
    fine-tuning   a copy of the encoder and a new head (batch norm, linear) trained together

A picture of each method's test features projected on their first two principal components
shows which methods gather the classes without having seen a label.

    python -c "from npgrad.lessons.self_supervised_comparison import run_dataset; run_dataset('mnist', 'runs/ssl')"

runs one data set alone (each method's result is kept in runs/ssl/<data set>/<method>.json as it
ends, and a rerun skips the methods already done with the same configuration).
"""

import copy
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
    Jigsaw,
    Rotation,
    SimCLR,
    classifier,
    extract_features,
    fine_tune,
    linear_probe,
    pretrain,
)
from npgrad.ssl.method import StepLogs
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
PRETRAIN_CPU_SECONDS = 90
# what a method gets here beyond its defaults, chosen by probes on a validation split (Fashion-
# MNIST training images 50,000-55,000, never the test set) after short pretraining: rotation an
# MLP head, SimCLR temperature 0.2 and the mild augmentation (docs/lessons/self-supervised-comparison.md)
OPTIONS = {"rotation": {"hidden": 256}, "SimCLR": {"temperature": 0.2, "augmentation": "mild"}}
# CPU seconds of one pretraining step of batch 128 on one thread, measured once: rotation
# classifies 4 rotations of every image, SimCLR encodes 2 (mildly augmented) views, the autoencoders decode, context
# prediction and jigsaw encode 9 small patches. STEPS gives every method PRETRAIN_CPU_SECONDS.
STEP_CPU_SECONDS = {
    "autoencoder": 0.043,
    "inpainting": 0.043,
    "context prediction": 0.012,
    "jigsaw": 0.013,
    "rotation": 0.110,
    "SimCLR": 0.065,
    "supervised": 0.026,
}
STEPS = {method: int(round(PRETRAIN_CPU_SECONDS / cost, -1)) for method, cost in STEP_CPU_SECONDS.items()}
CONFIG = {
    "datasets": ["fashion-mnist", "mnist"],
    "widths": [16, 32, 64],
    "batch_size": 128,
    "lr": 1e-3,
    "pretrain_cpu_seconds": PRETRAIN_CPU_SECONDS,
    "steps": STEPS,
    "options": OPTIONS,
    "pretrain_seed": 0,
    "fractions": [0.01, 0.1, 1.0],
    "probe_steps": 500,
    "probe_every_stage": True,
    "finetune_steps": 100,
    "seeds": [0, 1, 2],
    "train_limit": 20000,
    "test_limit": 5000,
    "picture_images": 2000,
    "methods": METHODS,
}
QUICK = {
    "datasets": ["fashion-mnist"],
    "steps": {"rotation": 40, "supervised": 60},
    "fractions": [0.1, 1.0],
    "probe_steps": 200,
    "finetune_steps": 30,
    "seeds": [0],
    "train_limit": 2000,
    "test_limit": 1000,
    "picture_images": 1000,
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


def pretrained_encoder(method, initial_state, config, train):
    """A copy of the initial encoder trained by `method`; (encoder, per-step logs, CPU and wall seconds)."""
    seed = config["pretrain_seed"]
    manual_seed(seed)
    encoder = ConvEncoder(widths=config["widths"])
    encoder.load_state_dict(initial_state)
    options = dict(config["options"].get(method, {}))
    batch_size = options.pop("batch_size", config["batch_size"])
    cpu, wall, logs = time.process_time(), time.perf_counter(), []
    if method == "supervised":
        logs = supervised_pretrain(encoder, train, config["steps"][method], batch_size, config["lr"], seed)
    elif method in PRETEXT:
        task = PRETEXT[method](encoder, generator=seed, **options)
        logs = pretrain(task, train[0], config["steps"][method], batch_size, config["lr"], seed, [ProgressBar()])
    return encoder, logs, time.process_time() - cpu, time.perf_counter() - wall


def principal_components(features, count=2):
    """The features projected on their first `count` principal components."""
    centred = features - features.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:count].T


def evaluate_method(method, initial_state, config, train, test):
    """Pretrain once, then probe and fine-tune at every seed: the method's row of the table."""
    encoder, logs, cpu, wall = pretrained_encoder(method, initial_state, config, train)
    row = {"probe": {}, "fine_tune": {}}
    for seed in config["seeds"]:
        probe = linear_probe(
            encoder,
            train,
            test,
            config["fractions"],
            config["probe_steps"],
            seed=seed,
            every_stage=config["probe_every_stage"],
        )
        tuned = fine_tune(encoder, train, test, config["fractions"], config["finetune_steps"], seed=seed)
        row["probe"][str(seed)] = {str(f): a for f, a in probe.items()}
        row["fine_tune"][str(seed)] = {str(f): a for f, a in tuned.items()}
        print(f"{method:<20} seed {seed}  probe {_percentages(probe)}  fine-tune {_percentages(tuned)}", flush=True)
    picture = principal_components(
        extract_features(encoder, test[0][: config["picture_images"]], every_stage=config["probe_every_stage"])
    )
    row.update(
        pretrain_steps=len(logs),
        pretrain_cpu_seconds=round(cpu, 1),
        pretrain_wall_seconds=round(wall, 1),
        pretext_curve=logs,
        picture=picture.round(4).tolist(),
    )
    return row


def method_settings(config, method):
    """What one method's row depends on: the shared settings, and its own steps and options."""
    shared = {name: value for name, value in config.items() if name not in ("datasets", "methods", "steps", "options")}
    return {**shared, "steps": config["steps"].get(method, 0), "options": config["options"].get(method, {})}


def run_dataset(dataset, out_dir, config=None, methods=None):
    """The methods (default: config["methods"]) on one data set; each method's row is written to
    out_dir/<dataset>/<method>.json when it ends, and reused by a rerun with the same settings;
    the summary of the table."""
    config = copy.deepcopy(config or CONFIG)
    folder = os.path.join(out_dir, dataset)
    os.makedirs(folder, exist_ok=True)
    train, test = image_arrays(dataset, config["train_limit"], config["test_limit"])
    manual_seed(config["pretrain_seed"])
    initial_state = ConvEncoder(widths=config["widths"]).state_dict()
    rows = {}
    for method in progress(methods or config["methods"], desc=f"{dataset}: methods", unit="method"):
        path = os.path.join(folder, method.replace(" ", "_") + ".json")
        stored = json.load(open(path)) if os.path.exists(path) else {}
        if stored.get("settings") != method_settings(config, method):
            stored = {
                "settings": method_settings(config, method),
                "row": evaluate_method(method, initial_state, config, train, test),
            }
            with open(path, "w") as f:
                json.dump(stored, f)
        rows[method] = stored["row"]
        print(
            f"{dataset} {method}: {rows[method]['pretrain_steps']} steps, {rows[method]['pretrain_cpu_seconds']} s CPU"
        )
    figures = []
    if pyplot_or_none() is not None:
        labels = test[1][: config["picture_images"]]
        figures = [
            plot_features(rows, labels, os.path.join(out_dir, f"features_pca_{dataset}.png"), dataset),
            plot_pretext_curves(rows, os.path.join(out_dir, f"pretext_curves_{dataset}.png"), dataset),
        ]
    return {**summarise(dataset, rows, config), "figures": figures}


def _percentages(accuracies):
    return " ".join(f"{100 * a:5.1f}" for a in accuracies.values())


def summarise(dataset, rows, config):
    """Per method, evaluation and label fraction the mean and spread (min-max) over the seeds,
    and each method's probe gain over the random encoder at the fewest labels, seed by seed
    (the same labelled images); printed and returned."""
    fractions = [str(f) for f in config["fractions"]]
    seeds = [str(s) for s in config["seeds"]]
    table = {}
    for method, row in rows.items():
        table[method] = {
            kind: {f: _spread([row[kind][s][f] for s in seeds]) for f in fractions} for kind in ("probe", "fine_tune")
        }
        table[method].update(pretrain_steps=row["pretrain_steps"], pretrain_cpu_seconds=row["pretrain_cpu_seconds"])
        if "random encoder" in rows:
            fewest = fractions[0]
            gains = [row["probe"][s][fewest] - rows["random encoder"]["probe"][s][fewest] for s in seeds]
            table[method]["probe_gain_over_random"] = {"fraction": fewest, "per_seed": gains, **_spread(gains)}
    labels = " ".join(f"{float(f):>16.0%}" for f in fractions)
    print(f"\n{dataset}: test accuracy %, mean (min-max) over seeds {', '.join(seeds)}")
    print(f"{'method':<20} {'linear probe':^{17 * len(fractions)}}   {'fine-tuning':^{17 * len(fractions)}}")
    print(f"{'labels':<20} {labels}   {labels}")
    for method, row in table.items():
        cells = [_cell(row[kind][f]) for kind in ("probe", "fine_tune") for f in fractions]
        print(f"{method:<20} {' '.join(cells[: len(fractions)])}   {' '.join(cells[len(fractions) :])}")
    return {"dataset": dataset, "seeds": config["seeds"], "table": table}


def _spread(values):
    return {"mean": float(np.mean(values)), "min": float(min(values)), "max": float(max(values)), "seeds": len(values)}


def _cell(spread):
    if spread["seeds"] == 1:
        return f"{100 * spread['mean']:16.1f}"
    return f"{100 * spread['mean']:5.1f} ({100 * spread['min']:.1f}-{100 * spread['max']:.1f})"


def plot_features(rows, labels, path, dataset):
    """Every method's test features on their first two principal components, coloured by class."""
    plt = pyplot_or_none()
    columns = (len(rows) + 1) // 2
    fig, axes = plt.subplots(2, columns, figsize=(3.2 * columns, 6.4), squeeze=False)
    for ax, (method, row) in zip(axes.flat, rows.items()):
        points = np.asarray(row["picture"])
        ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=2, vmin=-0.5, vmax=9.5)
        ax.set_title(method, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[len(rows) :]:
        ax.axis("off")
    fig.suptitle(f"{dataset}: test features on their first two principal components, coloured by class")
    return save_figure(fig, path)


def plot_pretext_curves(rows, path, dataset, window=50):
    """The pretext loss of every method against its steps, smoothed over `window` steps."""
    plt = pyplot_or_none()
    curves = {m: [log["loss"] for log in r["pretext_curve"]] for m, r in rows.items() if r["pretext_curve"]}
    fig, axes = plt.subplots(1, len(curves), figsize=(3 * len(curves), 2.8), squeeze=False)
    for ax, (method, losses) in zip(axes[0], curves.items()):
        ax.plot(smooth(losses, window))
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("pretext loss")
    fig.suptitle(f"{dataset}: pretraining")
    return save_figure(fig, path)


def run(out_dir, quick=False):
    config = {**CONFIG, **(QUICK if quick else {})}
    return {"config": config, "datasets": [run_dataset(dataset, out_dir, config) for dataset in config["datasets"]]}


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
