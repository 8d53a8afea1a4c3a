"""A small CNN (conv 32-32-64-64 with batch norm, Adam) on MNIST.

The main job (`npgrad train`) as a lesson: a held-out validation set picks the best epoch, and the
test set is touched once, at the end.
"""

from npgrad.lessons import main
from npgrad.train.classifier import train_classifier


def run(out_dir, quick=False):
    return train_classifier(out_dir, quick, dataset="mnist", model="mnist_cnn", epochs=3)


if __name__ == "__main__":
    main(run)
