"""The `npgrad run gan` DCGAN recipe trained by PyTorch, scored with npgrad's FID extractor.

    python benchmarks/gan_torch.py                                # MNIST; needs torch
    python benchmarks/gan_torch.py --dataset fashion-mnist        # with NPGRAD_DATA set
    python benchmarks/gan_torch.py --compare runs/gan/result.json

The generator and discriminator of the `gan` speed workload (../shared/bench/torch_ref.py),
PyTorch's default initialisation, Adam 2e-4 betas (0.5, 0.999), batch 64 (last partial batch
dropped), the lesson's epochs, label smoothing and fixed evaluation noise
(npgrad.lessons.gan.CONFIG, fixed_noise); one D step on real and detached fake images, then
one non-saturating G step through the updated D. After every epoch the generator (in eval
mode) draws 10,000 images from the fixed noise, and FID against the test images is computed in
the features of npgrad's shipped extractor, exactly as the lesson does. PyTorch draws its own
weights, batches and z, so the two differ by run-to-run spread.

    python benchmarks/gan_torch.py --dataset fashion-mnist --npgrad-start

starts PyTorch instead from the very weights the lesson's npgrad networks draw, and feeds it the
lesson's batches in the lesson's order and the lesson's z at every step (drawn by npgrad's
generator, as GANTrainer draws them), so that the two runs differ in nothing but arithmetic.
"""

import argparse
import json

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import npgrad
from npgrad.datasets import image_arrays
from npgrad.lessons.gan import CONFIG, fixed_noise, real_data_floor
from npgrad.metrics import FeatureExtractor, feature_statistics, frechet_distance


class Generator(nn.Module):
    def __init__(self, latent_dim):
        super().__init__()
        self.fc, self.bn0 = nn.Linear(latent_dim, 128 * 7 * 7), nn.BatchNorm2d(128)
        self.dc1, self.bn1 = nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64)
        self.dc2 = nn.ConvTranspose2d(64, 1, 4, 2, 1)

    def forward(self, z):
        x = F.relu(self.bn0(self.fc(z).view(-1, 128, 7, 7)))
        return torch.tanh(self.dc2(F.relu(self.bn1(self.dc1(x)))))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 64, 4, 2, 1), nn.Conv2d(64, 128, 4, 2, 1)
        self.bn, self.fc = nn.BatchNorm2d(128), nn.Linear(128 * 7 * 7, 1)

    def forward(self, x):
        x = F.leaky_relu(self.c1(x), 0.2)
        return self.fc(F.leaky_relu(self.bn(self.c2(x)), 0.2).flatten(1))


def generated_images(generator, z):
    generator.eval()
    with torch.no_grad():
        images = torch.cat([generator(part) for part in torch.from_numpy(z).split(500)]).numpy()
    generator.train()
    return (images + 1) / 2


class TorchDraws:
    """PyTorch's own batch order and noise."""

    def order(self, n):
        return torch.randperm(n)

    def noise(self, n, latent_dim):
        return torch.randn(n, latent_dim)


class NpgradDraws:
    """The lesson's batch order (its DataLoader's generator) and z (npgrad's global generator,
    in the state the networks' initialisation left it), drawn as the lesson draws them."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def order(self, n):
        return torch.from_numpy(self.rng.permutation(n))

    def noise(self, n, latent_dim):
        return torch.from_numpy(npgrad.randn(n, latent_dim).numpy())


def networks_from_npgrad(config):
    """The torch networks holding the weights npgrad's lesson starts from (same seed, same order
    of construction as npgrad.lessons.gan.train_gan)."""
    from npgrad.models import DCGANDiscriminator, DCGANGenerator

    npgrad.manual_seed(config["seed"])
    pairs = (
        (Generator(config["latent_dim"]), DCGANGenerator(config["latent_dim"])),
        (Discriminator(), DCGANDiscriminator()),
    )
    for ours, theirs in pairs:
        ours.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in theirs.state_dict().items()})
    return [ours for ours, _ in pairs]


def train_epoch(generator, discriminator, optimizers, images, config, draws):
    optimizer_g, optimizer_d = optimizers
    bce, n = F.binary_cross_entropy_with_logits, config["batch_size"]
    real_target, fake_target, ones = (
        torch.full((n, 1), 1.0 - config["label_smoothing"]),
        torch.zeros(n, 1),
        torch.ones(n, 1),
    )
    order = draws.order(len(images))
    for start in range(0, len(images) - n + 1, n):
        real = images[order[start : start + n]]
        fake = generator(draws.noise(n, config["latent_dim"]))
        optimizer_d.zero_grad()
        loss_d = bce(discriminator(real), real_target) + bce(discriminator(fake.detach()), fake_target)
        loss_d.backward()
        optimizer_d.step()
        optimizer_g.zero_grad()
        loss_g = bce(discriminator(fake), ones)
        loss_g.backward()
        optimizer_g.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compare", help="the lesson's result.json, to print both FID curves")
    parser.add_argument("--npgrad-start", action="store_true", help="the lesson's weights, batches and noise")
    args = parser.parse_args()
    config = {**CONFIG, "dataset": args.dataset, **({"seed": args.seed} if args.npgrad_start else {})}
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    (train, _), (test, _) = image_arrays(args.dataset)
    extractor = FeatureExtractor.load(args.dataset)
    reference = feature_statistics(extractor(test[: config["fid_samples"]]))
    floor = real_data_floor(extractor, train, reference, config["fid_samples"], config["seed"])
    if args.npgrad_start:
        (generator, discriminator), draws = networks_from_npgrad(config), NpgradDraws(config["seed"])
    else:
        (generator, discriminator), draws = (Generator(config["latent_dim"]), Discriminator()), TorchDraws()
    optimizers = [
        torch.optim.Adam(module.parameters(), lr=config["lr"], betas=config["betas"])
        for module in (generator, discriminator)
    ]
    z, images, fids = fixed_noise(config, config["fid_samples"]), torch.from_numpy(train * 2 - 1), []
    for epoch in range(1, config["epochs"] + 1):
        train_epoch(generator, discriminator, optimizers, images, config, draws)
        fids.append(frechet_distance(*feature_statistics(extractor(generated_images(generator, z))), *reference))
        print(f"epoch {epoch}: FID {fids[-1]:.2f}", flush=True)
    print(f"PyTorch {args.dataset}: FID per epoch {', '.join(f'{v:.2f}' for v in fids)}; real-data floor {floor:.2f}")
    if args.compare:
        with open(args.compare) as f:
            ours = json.load(f)["dcgan"]["fid_per_epoch"]
        print(f"npgrad  {args.dataset}: FID per epoch {', '.join(f'{v:.2f}' for v in ours)}")


if __name__ == "__main__":
    main()
