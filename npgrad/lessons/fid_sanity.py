"""FID of real vs real images, and vs noisy, blurred, shuffled and fewer-class images.

Does FID measure what it should? Real images against real images, then against
corrupted ones: FID must be near its floor for two real samples and grow with the corruption.

FID (Heusel et al., 2017) fits a Gaussian to the features of each image set and measures the
Fréchet distance between the two: |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)). The features
here are the penultimate layer of the small CNN shipped with npgrad (npgrad.metrics), trained on
the same data set. Reference: the test images. Compared with it: training images as they are
(the floor: two samples of the same distribution differ only by sampling), and with Gaussian
noise, Gaussian blur, a growing share of pixels shuffled (the same shuffle for every image),
and images of fewer classes (mode dropping: each image is perfect, the variety is not).
"""

import numpy as np

from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.datasets import image_arrays
from npgrad.lessons import main
from npgrad.metrics import FeatureExtractor, feature_statistics, frechet_distance
from npgrad.utils.progress import progress

SAMPLES, QUICK_SAMPLES = 10_000, 1000
CORRUPTIONS = {
    "gaussian noise (std)": [0.05, 0.1, 0.2, 0.4],
    "gaussian blur (sigma, pixels)": [0.5, 1.0, 1.5, 2.0],
    "pixels shuffled (share)": [0.05, 0.1, 0.25, 0.5],
    "classes kept (of 10)": [5, 3, 2, 1],
}


def add_noise(images, std, rng):
    return np.clip(images + std * rng.standard_normal(images.shape, dtype=np.float32), 0, 1)


def blur(images, sigma, rng):
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(images, sigma=(0, 0, sigma, sigma)).astype(np.float32)


def shuffle_pixels(images, share, rng):
    """The same random permutation of a random `share` of the pixel positions, in every image."""
    flat = images.reshape(len(images), -1).copy()
    chosen = rng.choice(flat.shape[1], int(round(share * flat.shape[1])), replace=False)
    flat[:, chosen] = flat[:, rng.permutation(chosen)]
    return flat.reshape(images.shape)


CORRUPT = {
    "gaussian noise (std)": add_noise,
    "gaussian blur (sigma, pixels)": blur,
    "pixels shuffled (share)": shuffle_pixels,
}


def fewer_classes(images, labels, classes, n, rng):
    """n images drawn from the first `classes` digits only."""
    pool = np.flatnonzero(labels < classes)
    return images[rng.choice(pool, n, replace=len(pool) < n)]


def fid_table(extractor, train, test, n, seed):
    """{corruption: [(level, FID)]} and the floor, against the statistics of n test images."""
    rng = np.random.default_rng(seed)
    reference = feature_statistics(extractor(test[0][:n]))
    real = train[0][rng.choice(len(train[0]), n, replace=False)]

    def score(images):
        return frechet_distance(*feature_statistics(extractor(images)), *reference)

    floor = score(real)
    table = {name: [] for name in CORRUPTIONS}
    image_sets = [(name, level) for name, levels in CORRUPTIONS.items() for level in levels]
    for name, level in progress(image_sets, desc="FID of the corrupted sets", unit="set"):
        images = CORRUPT[name](real, level, rng) if name in CORRUPT else fewer_classes(*train, level, n, rng)
        table[name].append((level, score(images)))
    return floor, table


def plot_table(floor, table, path):
    plt = pyplot_or_none()
    fig, axes = plt.subplots(1, len(table), figsize=(3.2 * len(table), 3.2))
    for ax, (name, rows) in zip(axes, table.items()):
        levels, values = zip(*rows)
        ax.plot(range(len(levels)), values, marker="o")
        ax.axhline(floor, color="k", ls="--", label="real vs real")
        ax.set_xticks(range(len(levels)), [str(level) for level in levels])
        ax.set_xlabel(name)
        ax.set_yscale("log")
        ax.set_ylabel("FID")
        ax.legend(fontsize=7)
    return save_figure(fig, path)


def run(out_dir, quick=False, dataset="mnist"):
    n = QUICK_SAMPLES if quick else SAMPLES
    train, test = image_arrays(dataset)
    floor, table = fid_table(FeatureExtractor.load(dataset), train, test, n, seed=0)
    print(f"FID against {n} {dataset} test images ({dataset} feature extractor); real training images: {floor:.2f}")
    for name, rows in table.items():
        print(f"  {name:<30} " + "  ".join(f"{level}: {value:8.2f}" for level, value in rows))
    figure = None
    if pyplot_or_none() is not None:
        figure = plot_table(floor, table, f"{out_dir}/fid_sanity.png")
    return {
        "samples": n,
        "real_data_floor": floor,
        "table": {k: [list(r) for r in v] for k, v in table.items()},
        "figure": figure,
    }


READ_NEXT = """
FID: npgrad/metrics/fid.py frechet_distance, feature_statistics and fid
the feature extractor: npgrad/metrics/extractor.py FeatureExtractor (how it was trained: npgrad/metrics/train_extractor.py)
the page: docs/lessons/fid-sanity.md
"""

if __name__ == "__main__":
    main(run)
