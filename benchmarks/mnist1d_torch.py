"""The MNIST-1D baselines of `npgrad run mnist1d-baselines` / `mnist1d-cnn`, trained by PyTorch.

    python benchmarks/mnist1d_torch.py            # needs torch (pip install -e ".[test]")

Same data (npgrad.datasets.MNIST1D), models, optimiser (Adam lr 0.01), batch 100, 150 epochs
and seeds 0-4 as the lessons, so that npgrad's accuracies can be read against PyTorch's rather
than only against the paper's figures (which come from a single training set-up of theirs).
"""
import numpy as np
import torch
from torch import nn

from npgrad.datasets import MNIST1D

MODELS = {
    "logistic regression": lambda: nn.Linear(40, 10),
    "MLP": lambda: nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10)),
    "CNN": lambda: nn.Sequential(nn.Unflatten(1, (1, 40)), nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
                                 nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(125, 10)),
}


def train_one(name, train, test, epochs, seed):
    torch.manual_seed(seed)
    model = MODELS[name]()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = (torch.from_numpy(a) for a in train)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for batch in np.array_split(rng.permutation(len(x)), len(x) // 100):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            opt.step()
    with torch.no_grad():
        predicted = model(torch.from_numpy(test[0])).argmax(1).numpy()
    return float((predicted == test[1]).mean())


def main(seeds=(0, 1, 2, 3, 4), epochs=150):
    torch.set_num_threads(1)
    train, test = MNIST1D(train=True).arrays(), MNIST1D(train=False).arrays()
    for name in MODELS:
        accuracies = [train_one(name, train, test, epochs, seed) for seed in seeds]
        print(f"{name:<20} PyTorch test accuracy {np.mean(accuracies):.1%} "
              f"({min(accuracies):.1%}-{max(accuracies):.1%}) over seeds {list(seeds)}", flush=True)


if __name__ == "__main__":
    main()
