"""Generative models: autoencoders, VAE and DCGAN against PyTorch modules built here with the
same layers (parameter names, counts, outputs, VAE loss and gradients); corruptions; errors."""

import numpy as np
import pytest

import npgrad
from npgrad.models import (
    VAE,
    Autoencoder,
    ConditionalDiscriminator,
    ConditionalGenerator,
    ConvAutoencoder,
    ConvVAE,
    DCGANDiscriminator,
    DCGANGenerator,
    GaussianNoise,
    MaskSquare,
    vae_loss,
)
from npgrad.models.autoencoder import square_masks
from npgrad.models.gan import GANTrainer
from npgrad.models.vae import VAETrainer

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional


class TorchGenerator(tnn.Module):
    def __init__(self, latent_dim=100, input_features=None):
        super().__init__()
        self.fc = tnn.Linear(input_features or latent_dim, 128 * 7 * 7)
        self.bn0, self.dc1 = tnn.BatchNorm2d(128), tnn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.bn1, self.dc2 = tnn.BatchNorm2d(64), tnn.ConvTranspose2d(64, 1, 4, 2, 1)

    def forward(self, z):
        x = TF.relu(self.bn0(self.fc(z).view(-1, 128, 7, 7)))
        return torch.tanh(self.dc2(TF.relu(self.bn1(self.dc1(x)))))


class TorchDiscriminator(tnn.Module):
    def __init__(self, channels=1):
        super().__init__()
        self.c1, self.c2 = tnn.Conv2d(channels, 64, 4, 2, 1), tnn.Conv2d(64, 128, 4, 2, 1)
        self.bn, self.fc = tnn.BatchNorm2d(128), tnn.Linear(128 * 7 * 7, 1)

    def forward(self, x):
        x = TF.leaky_relu(self.c1(x), 0.2)
        return self.fc(TF.leaky_relu(self.bn(self.c2(x)), 0.2).flatten(1))


class TorchVAE(tnn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = tnn.Linear(784, 400), tnn.Linear(400, 20), tnn.Linear(400, 20)
        self.fc3, self.fc4 = tnn.Linear(20, 400), tnn.Linear(400, 784)

    def forward(self, x, eps):
        h = TF.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + eps * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(TF.relu(self.fc3(z)))), mu, logvar


def load_from_torch(ours, theirs):
    state = {name: value.detach().numpy() for name, value in theirs.state_dict().items()}
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in state.items()}
    ours.load_state_dict(state)


def values(tensor):
    return np.asarray(tensor.detach())


def count(model):
    return sum(p.numel() for p in model.parameters())


def images(n, low=-1.0, seed=0):
    return np.random.default_rng(seed).uniform(low, 1, (n, 1, 28, 28)).astype(np.float32)


def assert_grads_equal(ours, theirs, rtol=1e-4, atol=1e-5):
    torch_grads = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(
            np.asarray(parameter.grad), torch_grads[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )


def test_dcgan_matches_torch_outputs_and_gradients():
    torch.manual_seed(0)
    torch_g, torch_d = TorchGenerator(), TorchDiscriminator()
    ours_g, ours_d = DCGANGenerator(), DCGANDiscriminator()
    load_from_torch(ours_g, torch_g)
    load_from_torch(ours_d, torch_d)
    assert (
        (count(ours_g), count(ours_d))
        == (sum(p.numel() for p in torch_g.parameters()), sum(p.numel() for p in torch_d.parameters()))
        == (766017, 138817)
    )
    z = np.random.default_rng(1).standard_normal((8, 100)).astype(np.float32)
    fake_ours, fake_theirs = ours_g(npgrad.tensor(z)), torch_g(torch.from_numpy(z))
    np.testing.assert_allclose(values(fake_ours), fake_theirs.detach().numpy(), atol=1e-5)
    logits_ours, logits_theirs = ours_d(fake_ours), torch_d(fake_theirs)
    assert logits_ours.shape == (8, 1)
    np.testing.assert_allclose(values(logits_ours), logits_theirs.detach().numpy(), rtol=1e-4, atol=1e-4)
    npgrad.nn.functional.binary_cross_entropy_with_logits(logits_ours, npgrad.ones(8, 1)).backward()
    TF.binary_cross_entropy_with_logits(logits_theirs, torch.ones(8, 1)).backward()
    assert_grads_equal(ours_g, torch_g)
    assert_grads_equal(ours_d, torch_d)


def test_conditional_gan_shapes_and_counts():
    generator, discriminator = ConditionalGenerator(), ConditionalDiscriminator()
    torch_g, torch_d = TorchGenerator(input_features=110), TorchDiscriminator(channels=2)
    assert count(generator) == sum(p.numel() for p in torch_g.parameters()) + 10 * 10
    assert count(discriminator) == sum(p.numel() for p in torch_d.parameters()) + 10 * 784
    labels = npgrad.tensor(np.arange(6) % 10)
    fake = generator(npgrad.randn(6, 100), labels)
    assert fake.shape == (6, 1, 28, 28) and discriminator(fake, labels).shape == (6, 1)


def test_conditional_generator_depends_on_the_label():
    generator = ConditionalGenerator().eval()
    z = npgrad.randn(1, 100).expand(2, 100)
    two = values(generator(z, npgrad.tensor([3, 7])))
    assert np.abs(two[0] - two[1]).max() > 1e-3


@pytest.mark.parametrize(
    "bad, match",
    [
        ((4, 1, 32, 32), r"\(N, 1, 28, 28\), got \(4, 1, 32, 32\)"),
        ((4, 3, 28, 28), r"got \(4, 3, 28, 28\)"),
        ((4, 784), r"got \(4, 784\)"),
    ],
)
def test_discriminator_rejects_images_of_the_wrong_size(bad, match):
    with pytest.raises(ValueError, match="DCGANDiscriminator: expected images of shape .*" + match):
        DCGANDiscriminator()(npgrad.zeros(*bad))


def test_generator_and_conditional_errors():
    with pytest.raises(ValueError, match=r"DCGANGenerator: expected latent vectors of shape \(N, 100\), got \(4, 64\)"):
        DCGANGenerator()(npgrad.zeros(4, 64))
    with pytest.raises(ValueError, match=r"ConditionalDiscriminator: expected images of shape \(N, 1, 28, 28\)"):
        ConditionalDiscriminator()(npgrad.zeros(2, 1, 14, 14), npgrad.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"ConditionalGenerator: labels must be in \[0, 10\), got 0..10"):
        ConditionalGenerator()(npgrad.zeros(2, 100), npgrad.tensor([0, 10]))
    with pytest.raises(ValueError, match=r"expected 2 class labels"):
        ConditionalGenerator()(npgrad.zeros(2, 100), npgrad.tensor([0, 1, 2]))


def test_vae_loss_and_gradients_equal_torch():
    torch.manual_seed(0)
    theirs, ours = TorchVAE(), VAE()
    load_from_torch(ours, theirs)
    assert count(ours) == sum(p.numel() for p in theirs.parameters()) == 652824
    x = images(16, low=0.0)
    eps = np.random.default_rng(2).standard_normal((16, 20)).astype(np.float32)
    recon, mu, logvar = theirs(torch.from_numpy(x), torch.from_numpy(eps))
    torch_bce = TF.binary_cross_entropy(recon, torch.from_numpy(x).view(-1, 784), reduction="sum")
    torch_kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    (torch_bce + torch_kl).backward()
    logits, our_mu, our_logvar = ours(npgrad.tensor(x), eps=npgrad.tensor(eps))
    parts = vae_loss(logits, npgrad.tensor(x), our_mu, our_logvar)
    parts.loss.backward()
    assert parts.reconstruction.item() == pytest.approx(torch_bce.item(), rel=1e-5)
    assert parts.kl.item() == pytest.approx(torch_kl.item(), rel=1e-4)
    assert parts.loss.item() == pytest.approx(parts.reconstruction.item() + parts.kl.item(), rel=1e-6)
    assert_grads_equal(ours, theirs, rtol=1e-3, atol=1e-3)


def test_vae_gaussian_likelihood_is_the_normal_log_density():
    x = images(3, low=0.0)
    logits = npgrad.randn(3, 784)
    mean = 1 / (1 + np.exp(-logits.numpy()))
    sigma = 0.2
    expected = (
        -torch.distributions.Normal(torch.from_numpy(mean), sigma).log_prob(torch.from_numpy(x.reshape(3, -1))).sum()
    )
    parts = vae_loss(
        logits, npgrad.tensor(x), npgrad.zeros(3, 2), npgrad.zeros(3, 2), likelihood="gaussian", sigma=sigma
    )
    assert parts.reconstruction.item() == pytest.approx(expected.item(), rel=1e-5)
    assert parts.kl.item() == 0.0
    with pytest.raises(ValueError, match="likelihood must be one of"):
        vae_loss(logits, npgrad.tensor(x), npgrad.zeros(3, 2), npgrad.zeros(3, 2), likelihood="poisson")


def test_reparameterization_draws_from_npgrad_generator():
    model = VAE()
    x = npgrad.tensor(images(4, low=0.0))
    npgrad.manual_seed(5)
    first = values(model(x)[0])
    npgrad.manual_seed(5)
    assert np.array_equal(first, values(model(x)[0]))
    mu, logvar = model.encode(x)
    eps = npgrad.randn(4, 20)
    z = model.reparameterize(mu, logvar, eps)
    np.testing.assert_allclose(values(z), values(mu + eps * (0.5 * logvar).exp()))


def test_conv_vae_and_autoencoders_shapes_and_counts():
    x = npgrad.tensor(images(5, low=0.0))
    logits, mu, logvar = ConvVAE(latent_dim=8)(x)
    assert logits.shape == (5, 1, 28, 28) and mu.shape == logvar.shape == (5, 8)
    assert VAE().sample(3).shape == (3, 784)
    mlp, conv = Autoencoder(bottleneck=16, hidden=(256,)), ConvAutoencoder(bottleneck=16)
    torch_mlp = tnn.Sequential(tnn.Linear(784, 256), tnn.Linear(256, 16), tnn.Linear(16, 256), tnn.Linear(256, 784))
    torch_conv = tnn.Sequential(
        tnn.Conv2d(1, 32, 4, 2, 1),
        tnn.Conv2d(32, 64, 4, 2, 1),
        tnn.Linear(3136, 16),
        tnn.Linear(16, 3136),
        tnn.ConvTranspose2d(64, 32, 4, 2, 1),
        tnn.ConvTranspose2d(32, 1, 4, 2, 1),
    )
    for ours, theirs in ((mlp, torch_mlp), (conv, torch_conv)):
        assert count(ours) == sum(p.numel() for p in theirs.parameters())
        out = ours(x)
        assert out.shape == (5, 1, 28, 28) and 0 <= values(out).min() and values(out).max() <= 1
        assert ours.encode(x).shape == (5, 16)
    with pytest.raises(ValueError, match=r"Autoencoder: expected images of shape \(N, 1, 28, 28\), got \(5, 784\)"):
        mlp(npgrad.zeros(5, 784))
    with pytest.raises(ValueError, match=r"VAE: expected inputs of 784 values each, got shape \(5, 100\)"):
        VAE()(npgrad.zeros(5, 100))


def test_corruptions_touch_inputs_only_and_repeat_with_the_seed():
    x = images(6, low=0.0)
    noisy = GaussianNoise(0.3, generator=0)(x)
    assert noisy.dtype == np.float32 and noisy.min() >= 0 and noisy.max() <= 1
    assert 0.1 < np.abs(noisy - x).mean() < 0.3
    assert np.array_equal(noisy, GaussianNoise(0.3, generator=0)(x))
    masked = MaskSquare(size=10, generator=1)(x)
    masks = square_masks(x.shape, 10, np.random.default_rng(1))
    assert masks.sum(axis=(1, 2, 3)).tolist() == [100] * 6
    assert np.array_equal(masked, np.where(masks, 0, x))
    loader = npgrad.data.DataLoader(
        npgrad.data.TensorDataset(x, x), batch_size=6, batch_transform=MaskSquare(10, generator=1)
    )
    inputs, targets = next(iter(loader))
    assert np.array_equal(targets.numpy(), x) and np.array_equal(inputs.numpy(), masked)
    with pytest.raises(ValueError, match="does not fit"):
        MaskSquare(size=30)(x)


def torch_sgd_step(module, loss, lr):
    module.zero_grad()
    loss.backward()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter -= lr * parameter.grad


def assert_parameters_equal(ours, theirs, atol):
    torch_parameters = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(
            values(parameter), torch_parameters[name].detach().numpy(), rtol=0, atol=atol, err_msg=name
        )


def test_gan_trainer_step_equals_torch_alternating_updates():
    """One GANTrainer step (SGD, label smoothing 0.1) = PyTorch's D update on real and
    detached fake images, then G's non-saturating update through the updated D."""
    torch.manual_seed(1)
    torch_g, torch_d = TorchGenerator(), TorchDiscriminator()
    ours_g, ours_d = DCGANGenerator(), DCGANDiscriminator()
    load_from_torch(ours_g, torch_g)
    load_from_torch(ours_d, torch_d)
    lr = 0.05
    trainer = GANTrainer(
        ours_g,
        ours_d,
        npgrad.optim.SGD(ours_g.parameters(), lr=lr),
        npgrad.optim.SGD(ours_d.parameters(), lr=lr),
        label_smoothing=0.1,
    )
    real = images(8)
    npgrad.manual_seed(3)
    z = torch.from_numpy(values(npgrad.randn(8, 100)))
    npgrad.manual_seed(3)
    logs = trainer.train_step((npgrad.tensor(real),))
    bce = TF.binary_cross_entropy_with_logits
    fake = torch_g(z)
    loss_d = bce(torch_d(torch.from_numpy(real)), torch.full((8, 1), 0.9)) + bce(
        torch_d(fake.detach()), torch.zeros(8, 1)
    )
    torch_sgd_step(torch_d, loss_d, lr)
    loss_g = bce(torch_d(fake), torch.ones(8, 1))
    torch_sgd_step(torch_g, loss_g, lr)
    assert logs["loss_d"] == pytest.approx(loss_d.item(), rel=1e-5)
    assert logs["loss_g"] == pytest.approx(loss_g.item(), rel=1e-4)
    assert_parameters_equal(ours_d, torch_d, atol=2e-6)
    assert_parameters_equal(ours_g, torch_g, atol=2e-6)


def test_conditional_gan_trainer_trains_and_checkpoints(tmp_path):
    x = images(32)
    labels = np.arange(32) % 10
    generator, discriminator = ConditionalGenerator(), ConditionalDiscriminator()
    trainer = GANTrainer(
        generator,
        discriminator,
        npgrad.optim.Adam(generator.parameters(), lr=2e-4),
        npgrad.optim.Adam(discriminator.parameters(), lr=2e-4),
    )
    loader = npgrad.data.DataLoader(npgrad.data.TensorDataset(x, labels), batch_size=16, shuffle=True, generator=0)
    history = trainer.fit(loader, epochs=1).history
    assert set(history) >= {"loss_d", "loss_g", "d_real", "d_fake"}
    trainer.save_checkpoint(tmp_path / "gan.safetensors")
    state = {
        k: v.copy() for k, v in trainer.optimizer.state_dict()["generator"]["state"][0].items() if hasattr(v, "copy")
    }
    trainer.fit(loader, epochs=2)
    trainer.load_checkpoint(tmp_path / "gan.safetensors")
    restored = trainer.optimizer.state_dict()["generator"]["state"][0]
    assert all(np.array_equal(restored[k], v) for k, v in state.items())


def test_vae_trainer_step_equals_torch_and_reports_parts_per_image():
    torch.manual_seed(2)
    theirs, ours = TorchVAE(), VAE()
    load_from_torch(ours, theirs)
    lr = 1e-5
    trainer = VAETrainer(ours, npgrad.optim.SGD(ours.parameters(), lr=lr))
    x = images(16, low=0.0)
    npgrad.manual_seed(4)
    eps = torch.from_numpy(values(npgrad.randn(16, 20)))
    npgrad.manual_seed(4)
    logs = trainer.train_step((npgrad.tensor(x), npgrad.zeros(16)))
    recon, mu, logvar = theirs(torch.from_numpy(x), eps)
    bce = TF.binary_cross_entropy(recon, torch.from_numpy(x).view(-1, 784), reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    torch_sgd_step(theirs, bce + kl, lr)
    assert logs["reconstruction"] == pytest.approx(bce.item() / 16, rel=1e-5)
    assert logs["kl"] == pytest.approx(kl.item() / 16, rel=1e-4)
    assert logs["loss"] == pytest.approx(logs["reconstruction"] + logs["kl"], rel=1e-6)
    assert_parameters_equal(ours, theirs, atol=1e-6)
    with pytest.raises(ValueError, match="VAETrainer: likelihood must be one of"):
        VAETrainer(ours, None, likelihood="laplace")


# -- the lessons, quick versions -----------------------------------------------------------------


def test_vae_lesson_learns_and_writes_a_run_folder(quick_lesson):
    result, out, _ = quick_lesson("vae")
    test_curve = result["history"]["val_loss"]
    assert test_curve[-1] < test_curve[0] < 400  # untrained: about 543 nats per image
    assert result["test_loss_per_image"] == pytest.approx(result["test_reconstruction"] + result["test_kl"], rel=1e-5)
    assert result["test_kl"] > 1  # the code carries information
    for name in (
        "config.json",
        "metrics.csv",
        "last.safetensors",
        "curves.png",
        "samples.png",
        "interpolation.png",
        "manifold_2d.png",
        "samples/epoch_002.png",
    ):
        assert (out / name).exists(), name


def test_gan_lesson_scores_fid_per_epoch_against_the_floor(quick_lesson):
    result, out, _ = quick_lesson("gan")
    dcgan = result["dcgan"]
    assert len(dcgan["fid_per_epoch"]) == 2
    assert dcgan["real_data_floor"] < 0.2 * min(dcgan["fid_per_epoch"])  # a few steps are far from real digits
    assert set(dcgan["history"]) >= {"loss_d", "loss_g", "d_real", "d_fake"}
    assert "fid" in (out / "dcgan" / "metrics.csv").read_text().splitlines()[0]
    with np.load(out / "dcgan" / "samples.npz") as samples:
        assert samples["images"].shape == (300, 1, 28, 28) and samples["images"].dtype == np.uint8
    for name in (
        "dcgan/samples/epoch_001.png",
        "dcgan/samples/epoch_002.png",
        "dcgan/curves.png",
        "dcgan/last.safetensors",
        "conditional/samples_per_class.png",
    ):
        assert (out / name).exists(), name


def test_fid_sanity_lesson_fid_grows_with_every_corruption(quick_lesson):
    result = quick_lesson("fid-sanity")[0]
    for name, rows in result["table"].items():
        values = [value for _, value in rows]
        assert values == sorted(values), name
        assert values[-1] > 5 * result["real_data_floor"], name


def test_autoencoder_lesson_denoises(quick_lesson):
    result, out, _ = quick_lesson("autoencoder")
    mse = result["denoising_mse"]
    assert mse["denoising: trained on noisy digits"] < 0.9 * mse["trained on clean digits"] < mse["noisy input itself"]
    assert [row["bottleneck"] for row in result["bottlenecks"]] == [2, 8, 32]
    assert (out / "latent_2d.png").exists() and (out / "denoising.png").exists()


def test_inpainting_lesson_fills_the_square(quick_lesson):
    result, out, _ = quick_lesson("inpainting")
    mse = result["mse"]
    assert mse["masked input itself"]["outside"] == 0
    assert mse["inpainting: trained on masked digits"]["inside"] < 0.7 * mse["masked input itself"]["inside"]
    assert (out / "inpainting.png").exists()
