"""A small CNN (conv 32-32-64-64 with batch norm, Adam) on MNIST.

The main job (`npgrad train`) as a lesson: a held-out validation set picks the best epoch, and the
test set is touched once, at the end.
"""

from npgrad.lessons import main
from npgrad.train.classifier import train_classifier


def run(out_dir, quick=False):
    return train_classifier(out_dir, quick, dataset="mnist", model="mnist_cnn", epochs=3)


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dIm2colFunction,
    npgrad/textbook/normalization.py BatchNormFunction, npgrad/textbook/pooling.py MaxPool2dFunction
fast ops: npgrad/functional/conv.py conv2d, npgrad/functional/normalization.py batch_norm,
    npgrad/functional/pooling.py max_pool2d
the model: npgrad/models/lenet.py mnist_cnn
training: npgrad/train/classifier.py train_classifier, npgrad/train/trainer.py Trainer
the page: docs/lessons/mnist-cnn.md
"""

if __name__ == "__main__":
    main(run)
