"""The paper's CNN on MNIST-1D vs the published 94 %.

Three 1-D convolutions of 25 channels see a shifted pattern as the same pattern: the inductive
bias the MLP of mnist1d-baselines lacks. Set-up and data as in that lesson.
"""

from npgrad.lessons import main
from npgrad.lessons.mnist1d_baselines import compare


def run(out_dir, quick=False):
    return compare(["CNN"], quick)


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dLoopsFunction (a 1-D convolution is the same loops
    over one axis)
fast ops: npgrad/functional/conv.py conv1d, npgrad/nn/conv.py Conv1d
the set-up (data, training, seeds): npgrad/lessons/mnist1d_baselines.py compare and cnn
the page: docs/lessons/mnist1d-cnn.md
"""

if __name__ == "__main__":
    main(run)
