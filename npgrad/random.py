"""The global random number generator behind rand/randn, initialisation, dropout and shuffling."""
import numpy as np

DEFAULT_SEED = 67280421310721  # PyTorch's default seed: runs are repeatable without manual_seed

_generator = np.random.default_rng(DEFAULT_SEED)
_seed = DEFAULT_SEED


def manual_seed(seed):
    """Reseed the global generator so that everything random afterwards repeats exactly."""
    global _generator, _seed
    _seed = int(seed)
    _generator = np.random.default_rng(_seed)
    return _generator


def initial_seed():
    return _seed


def default_generator():
    return _generator


def get_rng_state():
    """The generator's state, a dict that set_rng_state() accepts (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state):
    _generator.bit_generator.state = state
