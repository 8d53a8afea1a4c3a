"""The same small CNN on Fashion-MNIST.

The main job's CNN on clothes instead of digits: the same model, a harder data set.
"""

from npgrad.lessons import main
from npgrad.train.classifier import train_classifier


def run(out_dir, quick=False):
    return train_classifier(out_dir, quick, dataset="fashion-mnist", model="mnist_cnn", epochs=6)


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dIm2colFunction,
    npgrad/textbook/normalization.py BatchNormFunction
fast ops: npgrad/functional/conv.py conv2d, npgrad/functional/normalization.py batch_norm
the model: npgrad/models/lenet.py mnist_cnn; the data: npgrad/datasets/mnist.py FashionMNIST
training: npgrad/train/classifier.py train_classifier, npgrad/train/trainer.py Trainer
the page: docs/lessons/fashion-mnist-cnn.md
"""

if __name__ == "__main__":
    main(run)
