"""npgrad.keras: the Keras API over npgrad.nn, so Keras code runs with only its imports changed.

    from npgrad.keras import Input, Dense, Model, optimizers     # was: from tensorflow.keras ...
    from npgrad.keras.layers import Conv2D, MaxPooling2D, Flatten, Dropout, BatchNormalization
    from npgrad.keras.models import Sequential
    from npgrad.keras.utils import to_categorical

A Keras layer is an npgrad Module holding the PyTorch-named module that does its work (Dense
holds an nn.Linear); a Model is an npgrad Module whose forward replays the layer graph, and
fit / evaluate run on npgrad.train.Trainer. Images are channels-last (N, H, W, C) as in Keras.
Softmax or sigmoid outputs are fused into the cross-entropy during training (see
Model.compile). Weights keep npgrad's layouts (a Dense weight is (units, inputs)).
"""

from . import activations, callbacks, initializers, layers, losses, models, optimizers, utils
from .layers import (
    Activation,
    Add,
    BatchNormalization,
    Concatenate,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Layer,
    MaxPooling2D,
)
from .models import Model, Sequential
