"""The same small CNN on Fashion-MNIST.

The main job's CNN on clothes instead of digits: the same model, a harder data set.
"""

from npgrad.lessons import main
from npgrad.train.classifier import train_classifier


def run(out_dir, quick=False):
    return train_classifier(out_dir, quick, dataset="fashion-mnist", model="mnist_cnn", epochs=6)


if __name__ == "__main__":
    main(run)
