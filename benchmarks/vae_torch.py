"""The `npgrad run vae` configuration trained by PyTorch, for the reference test loss.

    python benchmarks/vae_torch.py                              # needs torch (pip install -e ".[test]")
    python benchmarks/vae_torch.py --compare runs/vae/result.json

pytorch/examples' VAE (784-400-20, ReLU, sigmoid decoder, BCE summed + KL), Adam 1e-3,
batch 128, 10 epochs on the same MNIST arrays as the lesson (npgrad.datasets.image_arrays,
grey levels in [0, 1]); the test loss is the negative ELBO per image with one z sample per
image, as the example and the lesson compute it. PyTorch draws its own initial weights, batch
order and z (torch.manual_seed), so the two figures differ by run-to-run spread only.
"""

import argparse
import json

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from npgrad.datasets import image_arrays
from npgrad.lessons.vae import CONFIG


class VAE(nn.Module):
    def __init__(self, hidden_dim, latent_dim):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = (
            nn.Linear(784, hidden_dim),
            nn.Linear(hidden_dim, latent_dim),
            nn.Linear(hidden_dim, latent_dim),
        )
        self.fc3, self.fc4 = nn.Linear(latent_dim, hidden_dim), nn.Linear(hidden_dim, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def negative_elbo(x, recon, mu, logvar):
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    return bce + -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def test_loss(model, x_test):
    with torch.no_grad():
        return sum(negative_elbo(x, *model(x)).item() for x in torch.from_numpy(x_test).split(1000)) / len(x_test)


def train(config, seed):
    torch.manual_seed(seed)
    (x, _), (x_test, _) = image_arrays(config["dataset"])
    model = VAE(config["hidden_dim"], config["latent_dim"])
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    x = torch.from_numpy(x)
    curve = []
    for epoch in range(1, config["epochs"] + 1):
        total = 0.0
        for batch in torch.randperm(len(x)).split(config["batch_size"]):
            optimizer.zero_grad()
            loss = negative_elbo(x[batch], *model(x[batch]))
            loss.backward()
            optimizer.step()
            total += loss.item()
        curve.append(test_loss(model, x_test))
        print(
            f"epoch {epoch:2d}: train -ELBO {total / len(x):.2f}, test -ELBO {curve[-1]:.2f} nats per image", flush=True
        )
    return curve


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compare", help="the lesson's result.json, to print both test losses")
    args = parser.parse_args()
    torch.set_num_threads(1)
    curve = train(CONFIG, args.seed)
    print(f"PyTorch: test loss {curve[-1]:.2f} nats per image after {CONFIG['epochs']} epochs")
    if args.compare:
        with open(args.compare) as f:
            ours = json.load(f)["test_loss_per_image"]
        print(f"npgrad:  test loss {ours:.2f} nats per image; difference {ours - curve[-1]:+.2f}")
    return np.array(curve)


if __name__ == "__main__":
    main()
