"""An MLP (784-512-256-10, dropout 0.2, Adam) on MNIST.

The same training as the main job (`npgrad train`) with a multilayer perceptron in place of the CNN:
no convolution, so every pixel is its own input and the model must learn translation by example.
"""

from npgrad.lessons import main
from npgrad.train.classifier import train_classifier


def run(out_dir, quick=False):
    return train_classifier(out_dir, quick, dataset="mnist", model="mlp", epochs=15)


if __name__ == "__main__":
    main(run)
