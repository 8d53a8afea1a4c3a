"""Parameters and MACs of every zoo model beside torchvision's figures.

The classic architectures side by side, by parameters and multiply-accumulates.

Every model of the zoo at its standard size (the ImageNet models on 3 x 224 x 224 images with
1,000 classes; the small CNNs on 1 x 28 x 28 digits), traced by npgrad.summary, next to
torchvision's published parameter counts, GFLOPS (which are multiply-accumulates) and ImageNet
top-1 accuracies. The table shows where the progress came from: VGG-16 spends 15.5 GMACs and
138 M parameters, 90 % of them in three Linear layers, to reach 71.6 %; GoogLeNet gets 69.8 %
with 6.6 M parameters and 1.5 GMACs by doing most of its work in 1x1 convolutions; ResNet-50
reaches 76.1 % on 4.1 GMACs, because residual connections let it be 50 layers deep.
"""

import os

from npgrad import manual_seed, models
from npgrad.analysis.plots import pyplot, pyplot_or_none, save_figure
from npgrad.analysis.summary import summary
from npgrad.lessons import main
from npgrad.utils.progress import progress

IMAGENET = (3, 224, 224)
DIGITS = (1, 28, 28)
# torchvision's model pages: parameters, GFLOPS and ImageNet-1k top-1 accuracy of its weights
# (IMAGENET1K_V1) at 224 x 224
PUBLISHED = {
    "alexnet": (61_100_840, 0.71, 56.52),
    "vgg11": (132_863_336, 7.61, 69.02),
    "vgg13": (133_047_848, 11.31, 69.93),
    "vgg16": (138_357_544, 15.47, 71.59),
    "vgg19": (143_667_240, 19.63, 72.38),
    "vgg11_bn": (132_868_840, 7.61, 70.37),
    "vgg13_bn": (133_053_736, 11.31, 71.59),
    "vgg16_bn": (138_365_992, 15.47, 73.36),
    "vgg19_bn": (143_678_248, 19.63, 74.22),
    "googlenet": (6_624_904, 1.50, 69.78),
    "resnet18": (11_689_512, 1.81, 69.76),
    "resnet34": (21_797_672, 3.66, 73.31),
    "resnet50": (25_557_032, 4.09, 76.13),
}
SMALL = ["lenet5", "mnist_cnn"]
QUICK = ["alexnet", "resnet18", "googlenet"]


def measure(name, in_shape):
    """Parameters and MACs of zoo model `name` on one image of in_shape, from npgrad.summary."""
    manual_seed(0)
    options = {"in_shape": in_shape} if in_shape == DIGITS else {}
    traced = summary(models.create(name, **options), in_shape, print_table=False)
    return {
        "model": name,
        "input": "x".join(map(str, in_shape)),
        "params": traced.total_params,
        "macs": traced.total_macs,
    }


def with_published(row):
    """Add torchvision's figures to a row of an ImageNet model."""
    params, gflops, top1 = PUBLISHED[row["model"]]
    return {**row, "published_params": params, "published_gmacs": gflops, "imagenet_top1": top1}


def print_table(rows):
    print(
        f"{'model':<11} {'input':>9} {'parameters':>13} {'torchvision':>13} {'MACs (M)':>10} "
        f"{'torchvision GFLOPS':>18} {'ImageNet top-1':>14}"
    )
    for r in rows:
        published = (
            [f"{r['published_params']:,}", f"{r['published_gmacs']:.2f}", f"{r['imagenet_top1']:.2f} %"]
            if "imagenet_top1" in r
            else ["-", "-", "-"]
        )
        print(
            f"{r['model']:<11} {r['input']:>9} {r['params']:>13,} {published[0]:>13} {r['macs'] / 1e6:>10,.1f} "
            f"{published[1]:>18} {published[2]:>14}"
        )


def plot_accuracy_against_cost(rows, path):
    """Two panels: ImageNet top-1 against GMACs, and against parameters (log scale)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, label in (
        (axes[0], "macs", "multiply-accumulates per image (G)"),
        (axes[1], "params", "parameters (M)"),
    ):
        for r in rows:
            x = r[key] / (1e9 if key == "macs" else 1e6)
            ax.scatter(
                x, r["imagenet_top1"], color="C0" if "resnet" in r["model"] else "C1" if "vgg" in r["model"] else "C2"
            )
            ax.annotate(r["model"], (x, r["imagenet_top1"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("ImageNet top-1 (%), torchvision's weights")
        ax.grid(alpha=0.3)
    fig.suptitle("npgrad.summary's counts against the accuracy they buy")
    return save_figure(fig, path)


def run(out_dir, quick=False):
    imagenet = QUICK if quick else list(PUBLISHED)
    rows = [with_published(measure(name, IMAGENET)) for name in progress(imagenet, desc="tracing", unit="model")]
    rows += [measure(name, DIGITS) for name in SMALL]
    print_table(rows)
    figures = []
    if pyplot_or_none() is not None:
        figures.append(
            plot_accuracy_against_cost(
                [r for r in rows if "imagenet_top1" in r], os.path.join(out_dir, "architectures.png")
            )
        )
    return {"rows": rows, "figures": figures}


READ_NEXT = """
counting parameters and MACs: npgrad/analysis/summary.py summary (forward hooks on one traced image)
the models: npgrad/models/alexnet.py, vgg.py, googlenet.py, resnet.py, lenet.py; npgrad/models/__init__.py create
the page: docs/lessons/architectures.md
"""

if __name__ == "__main__":
    main(run)
