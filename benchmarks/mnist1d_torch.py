"""The MNIST-1D baselines of `npgrad run mnist1d-baselines` / `mnist1d-cnn` / `mnist1d-gru`, trained by PyTorch.

    python benchmarks/mnist1d_torch.py            # every model; needs torch (pip install -e ".[test]")
    python benchmarks/mnist1d_torch.py GRU CNN    # only the models named (see MODELS)

Same data (npgrad.datasets.MNIST1D), models, optimiser (Adam lr 0.01), batches of 100 in order,
200 epochs and seeds 0-9 as the lessons, so that npgrad's accuracies can be read against PyTorch's rather
than only against the paper's figures (which come from a single training set-up of theirs).

    python benchmarks/mnist1d_torch.py --npgrad-start GRU

starts PyTorch instead from the very weights npgrad's lesson draws for each seed (copied
parameter by parameter), so that the two frameworks differ in nothing but their arithmetic.
"""

import sys

import numpy as np
import torch
from torch import nn

from npgrad.datasets import MNIST1D


class GRUClassifier(nn.Module):
    """The paper's GRUBase: the 40 values as a sequence, a bidirectional GRU (6 units a
    direction), every step's outputs flattened into one linear layer."""

    def __init__(self, hidden_size=6, steps=40):
        super().__init__()
        self.rnn = nn.GRU(1, hidden_size, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden_size * steps, 10)

    def forward(self, x):
        output, _ = self.rnn(x.unsqueeze(-1))
        return self.head(output.flatten(1))


class ResidualMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1, self.linear2, self.linear3 = nn.Linear(40, 100), nn.Linear(100, 100), nn.Linear(100, 10)

    def forward(self, x):
        h = self.linear1(x).relu()
        return self.linear3(h + self.linear2(h).relu())


MODELS = {
    "logistic regression": lambda: nn.Linear(40, 10),
    "MLP": lambda: ResidualMLP(),
    "CNN": lambda: nn.Sequential(
        nn.Unflatten(1, (1, 40)),
        nn.Conv1d(1, 25, 5, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(125, 10),
    ),
    "GRU": GRUClassifier,
}


def npgrad_initial_weights(name, seed):
    """The parameters npgrad's lesson starts model `name` from with this seed, in order."""
    from npgrad import manual_seed
    from npgrad.lessons.mnist1d_baselines import MODELS as NPGRAD_MODELS

    manual_seed(seed)
    return [np.array(p.data) for p in NPGRAD_MODELS[name]().parameters()]


def train_one(name, train, test, epochs, seed, npgrad_start=False):
    torch.manual_seed(seed)
    model = MODELS[name]()
    if npgrad_start:
        with torch.no_grad():
            for param, value in zip(model.parameters(), npgrad_initial_weights(name, seed), strict=True):
                param.copy_(torch.from_numpy(value))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = (torch.from_numpy(a) for a in train)
    for _ in range(epochs):
        for start in range(0, len(x), 100):  # the batches in order, as the paper's code
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[start : start + 100]), y[start : start + 100]).backward()
            opt.step()
    with torch.no_grad():
        predicted = model(torch.from_numpy(test[0])).argmax(1).numpy()
    return float((predicted == test[1]).mean())


def main(names=tuple(MODELS), seeds=tuple(range(10)), epochs=200, npgrad_start=False):
    unknown = set(names) - set(MODELS)
    if unknown:
        raise SystemExit(f"unknown model(s) {sorted(unknown)}; choose from {list(MODELS)}")
    torch.set_num_threads(1)
    train, test = MNIST1D(train=True).arrays(), MNIST1D(train=False).arrays()
    for name in names:
        accuracies = [train_one(name, train, test, epochs, seed, npgrad_start) for seed in seeds]
        start = " from npgrad's initial weights" if npgrad_start else ""
        print(
            f"{name:<20} PyTorch test accuracy{start} {np.mean(accuracies):.1%} "
            f"({min(accuracies):.1%}-{max(accuracies):.1%}) over seeds {list(seeds)}: "
            f"{' '.join(f'{a:.1%}' for a in accuracies)}",
            flush=True,
        )


if __name__ == "__main__":
    arguments = sys.argv[1:]
    from_npgrad = "--npgrad-start" in arguments
    main([a for a in arguments if a != "--npgrad-start"] or tuple(MODELS), npgrad_start=from_npgrad)
