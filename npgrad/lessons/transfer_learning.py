"""Pretrain on digits 0-4, learn 5-9 from few labels: frozen, fine-tuned, scratch.

Transfer learning — reuse features learned on one task for another with few labels.

A CNN first learns digits 0-4 from all their training images. The new task is digits 5-9,
with only a few hundred labelled images. Three ways to learn it, same architecture:
  frozen features  keep the pretrained convolutional layers fixed (requires_grad_(False)) and
                   train only a new linear head
  fine-tuning      start from the pretrained layers and train everything, gently
  from scratch     the same network from a random start
Strokes, loops and edges are shared by all digits, so the pretrained features carry over.
"""

import numpy as np

from npgrad import manual_seed, nn, optim
from npgrad.lessons import main
from npgrad.train.classifier import fit, load_data, loader


def feature_extractor():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128),
        nn.ReLU(),
    )


def classifier(features, classes=5):
    return nn.Sequential(features, nn.Linear(128, classes))


def digits(split, wanted, limit=None):
    """The images of the digits in `wanted`, relabelled 0..len(wanted)-1."""
    x, y = split
    keep = np.flatnonzero(np.isin(y, wanted))[:limit]
    return x[keep], (y[keep] - min(wanted)).astype(np.int64)


def learn_target(method, features, train, val, test, epochs, lr, freeze):
    model = classifier(features)
    features.requires_grad_(not freeze)
    optimizer = optim.Adam(model.parameters(), lr=lr)  # frozen parameters get no grad: Adam skips them
    trainer = fit(model, optimizer, train, val, epochs, 32, seed=0, progress_label=method)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, trainer.evaluate(loader(test, 1000))["accuracy"]


def run(out_dir, quick=False):
    pretrain_limit, labels, epochs = (2000, 100, 5) if quick else (None, 300, 30)
    (train, val, test), _ = load_data("mnist", seed=0, val_size=5000)
    source, target = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
    manual_seed(0)
    pretrained = feature_extractor()
    fit(
        classifier(pretrained),
        optim.Adam(pretrained.parameters(), lr=1e-3),
        digits(train, source, pretrain_limit),
        digits(val, source, 500),
        1 if quick else 2,
        64,
        seed=0,
        progress_label="pretraining on 0-4",
    )
    state = pretrained.state_dict()
    target_data = (digits(train, target, labels), digits(val, target, 500), digits(test, target))
    rows = []
    for method, pretrained_start, freeze, lr in (
        ("frozen features + new head", True, True, 1e-3),
        ("fine-tuning", True, False, 3e-4),
        ("from scratch", False, False, 1e-3),
    ):
        manual_seed(1)
        features = feature_extractor()
        if pretrained_start:
            features.load_state_dict(state)
        trainable, accuracy = learn_target(method, features, *target_data, epochs, lr, freeze)
        rows.append({"method": method, "trainable_parameters": trainable, "test_accuracy": accuracy})
    print(
        f"digits 5-9 from {labels} labelled images ({epochs} epochs); test on all "
        f"{len(target_data[2][0]):,} test images of 5-9"
    )
    print(f"{'method':<28} {'trainable params':>16} {'test accuracy':>14}")
    for r in rows:
        print(f"{r['method']:<28} {r['trainable_parameters']:>16,} {r['test_accuracy']:>14.2%}")
    return {"labels": labels, "epochs": epochs, "rows": rows}


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dIm2colFunction, npgrad/textbook/linear.py LinearFunction
fast ops: npgrad/functional/conv.py conv2d, npgrad/functional/linalg.py linear
freezing: npgrad/nn/module.py Module.requires_grad_, Module.state_dict and load_state_dict
training: npgrad/train/classifier.py fit and load_data, npgrad/train/trainer.py Trainer
the page: docs/lessons/transfer-learning.md
"""

if __name__ == "__main__":
    main(run)
