"""The `npgrad run gan` DCGAN recipe trained by PyTorch, scored with npgrad's FID extractor.

    python benchmarks/gan_torch.py                                # MNIST; needs torch
    python benchmarks/gan_torch.py --dataset fashion-mnist        # with NPGRAD_DATA set
    python benchmarks/gan_torch.py --compare runs/gan/result.json

The generator and discriminator of the `gan` speed workload (../shared/bench/torch_ref.py),
PyTorch's default initialisation, Adam 2e-4 betas (0.5, 0.999), batch 64 (last partial batch
dropped), the lesson's epochs, label smoothing and fixed evaluation noise
(npgrad.recipes.gan.CONFIG, fixed_noise); one D step on real and detached fake images, then
one non-saturating G step through the updated D. After every epoch the generator (in eval
mode) draws 10,000 images from the fixed noise, and FID against the test images is computed in
the features of npgrad's shipped extractor, exactly as the lesson does. PyTorch draws its own
weights, batches and z, so the two differ by run-to-run spread.
"""

import argparse
import json

import torch
from torch import nn
from torch.nn import functional as F

from npgrad.metrics import FeatureExtractor, feature_statistics, frechet_distance
from npgrad.recipes.gan import CONFIG, fixed_noise, real_data_floor
from npgrad.recipes.vae import image_arrays


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


def train_epoch(generator, discriminator, optimizers, images, config):
    optimizer_g, optimizer_d = optimizers
    bce, n = F.binary_cross_entropy_with_logits, config["batch_size"]
    real_target, fake_target, ones = (
        torch.full((n, 1), 1.0 - config["label_smoothing"]),
        torch.zeros(n, 1),
        torch.ones(n, 1),
    )
    order = torch.randperm(len(images))
    for start in range(0, len(images) - n + 1, n):
        real = images[order[start : start + n]]
        fake = generator(torch.randn(n, config["latent_dim"]))
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
    args = parser.parse_args()
    config = {**CONFIG, "dataset": args.dataset}
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    (train, _), (test, _) = image_arrays(args.dataset)
    extractor = FeatureExtractor.load(args.dataset)
    reference = feature_statistics(extractor(test[: config["fid_samples"]]))
    floor = real_data_floor(extractor, train, reference, config["fid_samples"], config["seed"])
    generator, discriminator = Generator(config["latent_dim"]), Discriminator()
    optimizers = [
        torch.optim.Adam(module.parameters(), lr=config["lr"], betas=config["betas"])
        for module in (generator, discriminator)
    ]
    z, images, fids = fixed_noise(config, config["fid_samples"]), torch.from_numpy(train * 2 - 1), []
    for epoch in range(1, config["epochs"] + 1):
        train_epoch(generator, discriminator, optimizers, images, config)
        fids.append(frechet_distance(*feature_statistics(extractor(generated_images(generator, z))), *reference))
        print(f"epoch {epoch}: FID {fids[-1]:.2f}", flush=True)
    print(f"PyTorch {args.dataset}: FID per epoch {', '.join(f'{v:.2f}' for v in fids)}; real-data floor {floor:.2f}")
    if args.compare:
        with open(args.compare) as f:
            ours = json.load(f)["dcgan"]["fid_per_epoch"]
        print(f"npgrad  {args.dataset}: FID per epoch {', '.join(f'{v:.2f}' for v in ours)}")


if __name__ == "__main__":
    main()
