"""The model zoo: one file a family. `create(name, **options)` builds one by name."""
from .mlp import mlp

MODELS = {"mlp": mlp}


def create(name, **options):
    """Build the zoo model `name` (see MODELS) with its options, e.g. create("mlp", num_classes=24)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(sorted(MODELS))}")
    return MODELS[name](**options)
