"""The main job's recipe in PyTorch, timed end to end: what `npgrad train` is measured against.

    python benchmarks/mnist_train_torch.py [--epochs 3] [--threads 2]

The same as `npgrad train` (npgrad/train/classifier.py): MNIST from the files npgrad ships,
the last 5,000 images of a seeded shuffle held out for validation, standardised with the
training mean and std; mnist_cnn (conv 32-32-64-64 with batch norm, dropout 0.5) with
PyTorch's default initialisation; Adam lr 1e-3, cosine annealing over the epochs; batch 128 in
the same order (numpy's default_rng(0) permutation every epoch); validation after each epoch
with batch 1000, the best-on-validation weights kept and tested. The wall time counts
everything from reading the files to the test accuracy. Prints one JSON line.
"""

import argparse
import copy
import gzip
import json
import os
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "npgrad", "datasets", "files", "mnist")


def mnist_cnn():
    """npgrad.models.mnist_cnn() in PyTorch: [conv3 (no bias), BN, ReLU] x 2, max pool 2, for 32 then 64 channels."""
    layers, channels = [], 1
    for width in (32, 64):
        for _ in range(2):
            layers += [nn.Conv2d(channels, width, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(2))
    head = [nn.Flatten(), nn.Linear(64 * 4 * 4, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10)]
    return nn.Sequential(*layers, *head)


def read_idx(name, offset):
    with gzip.open(os.path.join(MNIST, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data(seed=0, val_size=5000):
    """(train, val, test) as float32 (N, 1, 28, 28) standardised tensors and int64 labels."""
    x = read_idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y = read_idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    x_test = read_idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y_test = read_idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    splits = [(x[part], y[part]) for part in (order[:-val_size], order[-val_size:])] + [(x_test, y_test)]
    mean, std = float(splits[0][0].mean()), float(splits[0][0].std())
    for images, _ in splits:  # in place, as npgrad's load_data
        images -= mean
        images /= std
    return [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in splits]


def evaluate(model, split, batch_size=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(split[0]), batch_size):
            logits = model(split[0][start : start + batch_size])
            correct += int((logits.argmax(1) == split[1][start : start + batch_size]).sum())
    return correct / len(split[0])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train, val, test = load_data()
    model = mnist_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    shuffles, best = np.random.default_rng(0), (-1.0, None)
    for _ in range(args.epochs):
        model.train()
        order = torch.from_numpy(shuffles.permutation(len(train[0])))
        for start in range(0, len(order), 128):
            batch = order[start : start + 128]
            loss = F.cross_entropy(model(train[0][batch]), train[1][batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        accuracy = evaluate(model, val)
        if accuracy > best[0]:
            best = (accuracy, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[1])
    result = {"test_accuracy": evaluate(model, test), "best_val_accuracy": best[0], "threads": args.threads}
    print(json.dumps({**result, "wall_s": round(time.perf_counter() - START, 1)}))


if __name__ == "__main__":
    main()
