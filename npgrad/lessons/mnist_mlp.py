"""An MLP (784-512-256-10, dropout 0.2, Adam) on MNIST.

The same training as the main job (`npgrad train`) with a multilayer perceptron in place of the CNN:
no convolution, so every pixel is its own input and the model must learn translation by example.
"""

from npgrad.lessons import main
from npgrad.train.classifier import train_classifier


def run(out_dir, quick=False):
    return train_classifier(out_dir, quick, dataset="mnist", model="mlp", epochs=15)


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/linear.py LinearFunction, npgrad/textbook/activation.py ReLUFunction,
    npgrad/textbook/loss.py SoftmaxCrossEntropyFunction, npgrad/textbook/dropout.py DropoutFunction
fast ops: npgrad/functional/linalg.py linear, npgrad/functional/activation.py relu,
    npgrad/functional/loss.py cross_entropy, npgrad/functional/dropout.py dropout
the model: npgrad/models/mlp.py mlp
training: npgrad/train/classifier.py train_classifier, npgrad/train/trainer.py Trainer
the page: docs/lessons/mnist-mlp.md
"""

if __name__ == "__main__":
    main(run)
