"""The model zoo: torchvision's parameter counts, state_dict names and MACs; small-input variants.

Parameter counts depend on shapes only, and filling VGG's 138 M weights with random numbers
takes seconds, so the tests that only count use `shapes_only`, which turns the init functions
into no-ops (parameters keep np.empty's contents; no forward pass runs on them).
"""

import math

import numpy as np
import pytest

import npgrad
from npgrad import models, nn
from npgrad.analysis.summary import summary

from npgrad.models.googlenet import Inception
from npgrad.models.resnet import BasicBlock, Bottleneck

torch = pytest.importorskip("torch")

# torchvision's published num_params (pytorch.org/vision model pages), 1000 classes, 3 channels
TORCHVISION_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "vgg11": 132_863_336,
    "vgg13": 133_047_848,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "vgg11_bn": 132_868_840,
    "vgg13_bn": 133_053_736,
    "vgg16_bn": 138_365_992,
    "vgg19_bn": 143_678_248,
    "alexnet": 61_100_840,
    "googlenet": 6_624_904,
}
SMALL_MODELS = ["lenet5", "mnist_cnn"]


@pytest.fixture
def shapes_only(monkeypatch):
    for name in (
        "uniform_",
        "normal_",
        "trunc_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "xavier_uniform_",
        "xavier_normal_",
        "constant_",
        "zeros_",
        "ones_",
    ):
        monkeypatch.setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)


def count(model):
    return sum(p.detach().numpy().size for p in model.parameters())


def zero_filled(model):
    for p in model.parameters():
        p.data[...] = 0
    return model


# -- the standard ImageNet configurations ------------------------------------------------
@pytest.mark.parametrize("name", sorted(TORCHVISION_PARAMS))
def test_parameter_count_equals_torchvision(name, shapes_only):
    assert count(models.create(name)) == TORCHVISION_PARAMS[name]


def test_googlenet_with_auxiliary_classifiers_has_torchvision_default_count(shapes_only):
    assert count(models.googlenet(aux_logits=True)) == 13_004_888


def test_resnet18_state_dict_names_follow_torchvision():
    keys = list(models.resnet18().state_dict())
    # 62 parameters + 20 BatchNorms x 3 buffers (running_mean, running_var, num_batches_tracked);
    # 102 would be the count without num_batches_tracked
    assert len(keys) == 122
    assert keys[:8] == [
        "conv1.weight",
        "bn1.weight",
        "bn1.bias",
        "bn1.running_mean",
        "bn1.running_var",
        "bn1.num_batches_tracked",
        "layer1.0.conv1.weight",
        "layer1.0.bn1.weight",
    ]
    assert keys[-7:] == [
        "layer4.1.bn2.weight",
        "layer4.1.bn2.bias",
        "layer4.1.bn2.running_mean",
        "layer4.1.bn2.running_var",
        "layer4.1.bn2.num_batches_tracked",
        "fc.weight",
        "fc.bias",
    ]
    downsampling = sorted({k.rsplit(".", 1)[0] for k in keys if "downsample" in k})
    assert downsampling == [f"layer{i}.0.downsample.{j}" for i in (2, 3, 4) for j in (0, 1)]


def test_vgg_alexnet_and_googlenet_names_and_shapes_follow_torchvision(shapes_only):
    vgg16 = models.vgg16().state_dict()
    conv_indices = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
    assert list(vgg16) == [f"features.{i}.{p}" for i in conv_indices for p in ("weight", "bias")] + [
        f"classifier.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")
    ]
    assert vgg16["classifier.0.weight"].shape == (4096, 512 * 7 * 7)
    vgg16_bn = models.vgg16_bn().state_dict()
    assert vgg16_bn["features.1.running_var"].shape == (64,) and vgg16_bn["features.40.weight"].shape == (
        512,
        512,
        3,
        3,
    )
    alexnet = models.alexnet().state_dict()
    assert [k for k in alexnet if k.endswith("weight")] == [f"features.{i}.weight" for i in (0, 3, 6, 8, 10)] + [
        f"classifier.{i}.weight" for i in (1, 4, 6)
    ]
    assert alexnet["features.0.weight"].shape == (64, 3, 11, 11)
    googlenet = models.googlenet(aux_logits=True)
    state = googlenet.state_dict()
    assert list(state)[:2] == ["conv1.conv.weight", "conv1.bn.weight"] and list(state)[-2:] == ["fc.weight", "fc.bias"]
    assert "conv1.conv.bias" not in state and googlenet.conv1.bn.eps == 0.001
    assert state["inception3a.branch2.1.conv.weight"].shape == (128, 96, 3, 3)
    assert state["inception3a.branch3.1.conv.weight"].shape == (32, 16, 3, 3)  # torchvision's "5x5" is 3x3
    assert state["inception5b.branch4.1.conv.weight"].shape == (128, 832, 1, 1)
    assert state["aux1.fc1.weight"].shape == (1024, 2048) and state["aux2.conv.conv.weight"].shape == (128, 528, 1, 1)


def test_summary_macs_agree_with_published_figures():
    resnet18 = summary(models.resnet18(), (3, 224, 224), print_table=False)
    assert resnet18.total_params == 11_689_512
    assert 1.81e9 <= resnet18.total_macs <= 1.82e9  # torchvision: 1.81 GFLOPS (multiply-adds)
    assert resnet18.total_macs == 1_814_073_344


def test_vgg16_summary_macs_equal_a_hand_count(shapes_only):
    result = summary(zero_filled(models.vgg16()), (3, 224, 224), print_table=False)
    # per stage: side^2 * 9 * sum(c_in * c_out) over its convolutions; then the three Linear layers
    stages = [
        (224, [(3, 64), (64, 64)]),
        (112, [(64, 128), (128, 128)]),
        (56, [(128, 256), (256, 256), (256, 256)]),
        (28, [(256, 512), (512, 512), (512, 512)]),
        (14, [(512, 512)] * 3),
    ]
    convs = sum(side * side * 9 * sum(a * b for a, b in pairs) for side, pairs in stages)
    assert result.total_macs == convs + 25088 * 4096 + 4096 * 4096 + 4096 * 1000 == 15_470_264_320
    assert 15.4e9 <= result.total_macs <= 15.5e9  # torchvision: 15.47 GFLOPS


# -- blocks against PyTorch ------------------------------------------------------------------
class TorchBlock(torch.nn.Module):
    """A torchvision-style residual block in PyTorch: BasicBlock, or Bottleneck (v1.5) if wide."""

    def __init__(self, in_channels, planes, stride, bottleneck):
        super().__init__()
        conv, bn = torch.nn.Conv2d, torch.nn.BatchNorm2d
        out = planes * (4 if bottleneck else 1)
        if bottleneck:
            self.conv1, self.bn1 = conv(in_channels, planes, 1, bias=False), bn(planes)
            self.conv2, self.bn2 = conv(planes, planes, 3, stride, 1, bias=False), bn(planes)
            self.conv3, self.bn3 = conv(planes, out, 1, bias=False), bn(out)
            self.convs = [(self.conv1, self.bn1), (self.conv2, self.bn2), (self.conv3, self.bn3)]
        else:
            self.conv1, self.bn1 = conv(in_channels, planes, 3, stride, 1, bias=False), bn(planes)
            self.conv2, self.bn2 = conv(planes, planes, 3, 1, 1, bias=False), bn(planes)
            self.convs = [(self.conv1, self.bn1), (self.conv2, self.bn2)]
        self.downsample = torch.nn.Sequential(conv(in_channels, out, 1, stride, bias=False), bn(out))

    def forward(self, x):
        y = x
        for i, (conv, bn) in enumerate(self.convs):
            y = bn(conv(y))
            y = torch.relu(y) if i < len(self.convs) - 1 else y
        return torch.relu(y + self.downsample(x))


def npgrad_block(block, in_channels, planes, stride):
    out = planes * block.expansion
    downsample = nn.Sequential(nn.Conv2d(in_channels, out, 1, stride, bias=False), nn.BatchNorm2d(out))
    return block(in_channels, planes, stride, downsample)


@pytest.mark.parametrize("block", [BasicBlock, Bottleneck])
def test_residual_blocks_load_torch_weights_and_match_outputs(block):
    torch.manual_seed(0)
    reference = TorchBlock(16, 8, stride=2, bottleneck=block is Bottleneck)
    for module in reference.modules():  # non-trivial running statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    reference.eval()
    ours = npgrad_block(block, 16, 8, 2).eval()
    theirs = {k: v.numpy() for k, v in reference.state_dict().items()}
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.items()}
    ours.load_state_dict(theirs)
    x = np.random.default_rng(0).standard_normal((2, 16, 9, 9)).astype(np.float32)
    expected = reference(torch.from_numpy(x)).detach().numpy()
    assert expected.shape == (2, 8 * block.expansion, 5, 5)
    np.testing.assert_allclose(ours(npgrad.tensor(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-5)


def test_inception_block_concatenates_its_four_branches():
    block = Inception(192, 64, 96, 128, 16, 32, 32).eval()
    y = block(npgrad.randn(2, 192, 7, 7))
    assert y.shape == (2, 64 + 128 + 32 + 32, 7, 7)
    branches = [192 * 64, 192 * 96 + 96 * 128 * 9, 192 * 16 + 16 * 32 * 9, 192 * 32]  # conv weights
    batch_norms = 2 * (64 + 96 + 128 + 16 + 32 + 32)
    assert count(block) == sum(branches) + batch_norms == 155_872


# -- small inputs and the create() entry point ----------------------------------------------
@pytest.mark.parametrize("name", SMALL_MODELS + ["alexnet", "vgg11_bn", "resnet18", "resnet50", "googlenet"])
@pytest.mark.parametrize("in_shape", [(1, 28, 28), (3, 32, 32)])
def test_small_input_variants_give_logits(name, in_shape):
    model = models.create(name, in_shape=in_shape, num_classes=7).eval()
    assert model(npgrad.randn(3, *in_shape)).shape == (3, 7)


@pytest.mark.parametrize("name", sorted(models.MODELS))
def test_create_builds_every_model_for_mnist_shapes(name, shapes_only):
    model = models.create(name, in_shape=(1, 28, 28), num_classes=10)
    assert isinstance(model, nn.Module) and count(model) > 0


def test_small_input_changes_only_shapes_not_names(shapes_only):
    for name in ("resnet18", "alexnet", "vgg11", "googlenet"):
        standard, small = models.create(name).state_dict(), models.create(name, small_input=True).state_dict()
        assert list(standard) == list(small)
    assert models.resnet18(in_shape=(1, 28, 28)).conv1.weight.shape == (64, 1, 3, 3)
    assert models.resnet18(in_shape=(3, 224, 224)).conv1.weight.shape == (64, 3, 7, 7)
    assert isinstance(models.resnet18(small_input=True).maxpool, nn.Identity)


def test_small_cnns():
    assert count(models.lenet5()) == 61_706  # the classic 6-16-120-84-10 on 28x28 padded to 32x32
    assert count(models.lenet5(in_shape=(1, 32, 32))) == 61_706
    original = models.lenet5(activation="tanh", pool="avg")
    assert isinstance(original.features[1], nn.Tanh) and isinstance(original.features[2], nn.AvgPool2d)
    assert models.mnist_cnn(batch_norm=False)(npgrad.randn(2, 1, 28, 28)).shape == (2, 10)


def test_bad_options_raise_clear_errors(shapes_only):
    with pytest.raises(ValueError, match="in_channels=3 disagrees with in_shape"):
        models.resnet18(in_channels=3, in_shape=(1, 28, 28))
    with pytest.raises(ValueError, match="in_shape must be"):
        models.vgg11(in_shape=(28, 28))
    with pytest.raises(ValueError, match="activation must be one of"):
        models.lenet5(activation="sigmoid")
    with pytest.raises(ValueError, match="depth must be one of"):
        models.vgg.vgg(12)
    with pytest.raises(ValueError, match="unknown model"):
        models.create("resnet19")


# -- torchvision's initialisation ------------------------------------------------------------
def test_initialisation_follows_torchvision():
    vgg = models.vgg11_bn(small_input=True, num_classes=10)
    conv, linear = vgg.features[0].weight.detach().numpy(), vgg.classifier[0].weight.detach().numpy()
    assert abs(conv.std() - math.sqrt(2 / (64 * 9))) < 0.01  # kaiming_normal_, fan_out, relu
    assert abs(linear.std() - 0.01) < 0.001 and not vgg.classifier[0].bias.detach().numpy().any()
    assert (vgg.features[1].weight.detach().numpy() == 1).all() and not vgg.features[1].bias.detach().numpy().any()
    resnet = models.resnet18(small_input=True)
    weight = resnet.layer3[0].conv1.weight.detach().numpy()
    assert abs(weight.std() - math.sqrt(2 / (256 * 9))) < 0.005
    googlenet = models.googlenet(small_input=True)
    weight = googlenet.inception4a.branch2[1].conv.weight.detach().numpy()
    assert abs(weight.std() - 0.01) < 0.001 and np.abs(weight).max() <= 2
