"""The paper's bidirectional GRU on MNIST-1D vs the published 91 %.

The signal read as a sequence of 40 single values, both ways (6 units each). Set-up and data as
in mnist1d-baselines.
"""

from npgrad.lessons import main
from npgrad.lessons.mnist1d_baselines import compare


def run(out_dir, quick=False):
    return compare(["GRU"], quick)


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/recurrent.py GRUStepFunction
fast layer: npgrad/nn/rnn.py GRU, npgrad/functional/recurrent.py recurrent_layer; the model: npgrad/models/rnn.py SequenceClassifier
the set-up (data, training, seeds): npgrad/lessons/mnist1d_baselines.py compare and gru
the page: docs/lessons/mnist1d-gru.md
"""

if __name__ == "__main__":
    main(run)
