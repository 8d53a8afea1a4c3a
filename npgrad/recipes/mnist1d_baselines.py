"""Lesson: logistic regression and an MLP on MNIST-1D, next to the published baselines.

MNIST-1D (Greydanus & Kobak, 2020) turns the ten digits into 1-D signals of length 40,
shifted, scaled, sheared and noised, so that a linear model does badly and depth matters:
the paper reports 32 % for logistic regression and 68 % for an MLP. The set-up follows the
paper's: 4,000 training and 1,000 test signals, an MLP 40-100-100-10 with ReLU, Adam lr 0.01,
batch 100, 6,000 steps (150 epochs).
"""
import numpy as np

from .. import manual_seed, nn, optim
from ..data import DataLoader, TensorDataset
from ..datasets import MNIST1D
from ..train import Trainer
from . import recipe

PUBLISHED = {"logistic regression": 0.32, "MLP": 0.68}
MODELS = {
    "logistic regression": lambda: nn.Linear(40, 10),
    "MLP": lambda: nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10)),
}


def train_one(name, train, test, epochs):
    manual_seed(0)
    model = MODELS[name]()
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=0.01), nn.CrossEntropyLoss(), metrics=["accuracy"])
    trainer.fit(DataLoader(TensorDataset(*train), batch_size=100, shuffle=True, generator=0), epochs=epochs)
    return trainer.evaluate(DataLoader(TensorDataset(*test), batch_size=1000))["accuracy"]


@recipe("mnist1d-baselines", "logistic regression and an MLP on MNIST-1D vs the published 32 % / 68 %")
def run(out_dir, quick=False):
    epochs = 10 if quick else 150
    train, test = MNIST1D(train=True).arrays(), MNIST1D(train=False).arrays()
    measured = {name: train_one(name, train, test, epochs) for name in MODELS}
    print(f"{'model':<20} {'npgrad test accuracy':>21} {'published':>10}")
    for name, accuracy in measured.items():
        print(f"{name:<20} {accuracy:>21.1%} {PUBLISHED[name]:>10.0%}")
    return {"epochs": epochs, "steps": epochs * int(np.ceil(len(train[0]) / 100)),
            "test_accuracy": measured, "published": PUBLISHED}
