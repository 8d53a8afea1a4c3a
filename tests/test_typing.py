"""The public API carries type hints, PyTorch-style, and every hint resolves to a real type.

Walks the modules listed in TYPED (the part of npgrad whose signatures are annotated) and the
namespaces a user reaches (npgrad, npgrad.nn, npgrad.nn.functional, ...), and checks every
public function, every public method of a public class, and every public property defined
there: each parameter but self/cls is annotated, the return is annotated (`-> None` for
__init__), and typing.get_type_hints resolves the hints in the function's own module (so a
name imported only under TYPE_CHECKING, or misspelt, fails here, except the few names of
CYCLE_IMPORTS). A module too slow to import here (LAZY_IMPLEMENTATIONS) is read from its source
instead. Function subclasses (the ops' forward/backward on NumPy arrays) are the engine's
inside and are not walked, except the textbook tier's.
"""

import ast
import functools
import importlib
import importlib.util
import inspect
import re
import sys
import typing

import numpy as np

import npgrad
import npgrad.models
from npgrad.autograd import Function

TYPED = """
npgrad.tensor npgrad._tensor_methods npgrad.creation npgrad.random npgrad.io npgrad.devices npgrad.dtypes npgrad.printing
npgrad.linalg npgrad.memory npgrad.types
npgrad.nn.module npgrad.nn.hooks npgrad.nn.conv npgrad.nn.pooling npgrad.nn.normalization npgrad.nn.rnn
npgrad.nn.linear npgrad.nn.containers npgrad.nn.activation npgrad.nn.dropout
npgrad.nn.sparse npgrad.nn.spatial npgrad.nn.loss npgrad.nn.attention npgrad.nn.transformer
npgrad.nn.init npgrad.nn.parameter npgrad.nn.utils npgrad.nn.utils.rnn
npgrad.nn.parallel npgrad.nn.parallel.distributed
npgrad.data npgrad.data.collate npgrad.data.dataloader npgrad.data.dataset npgrad.data.distributed
npgrad.data.sampler npgrad.data.transforms
npgrad.train npgrad.train.callbacks npgrad.train.distributed npgrad.train.metrics npgrad.train.trainer
npgrad.keras npgrad.keras.activations npgrad.keras.callbacks npgrad.keras.engine npgrad.keras.initializers
npgrad.keras.layers npgrad.keras.losses npgrad.keras.models npgrad.keras.optimizers npgrad.keras.utils
npgrad.metrics npgrad.metrics.extractor npgrad.metrics.fid npgrad.metrics.images npgrad.metrics.train_extractor
npgrad.distributed npgrad.distributed.launch npgrad.distributed.process_group
npgrad.analysis.gradients npgrad.analysis.plots
npgrad.onnx npgrad.utils npgrad.utils.images npgrad.utils.progress npgrad.train.classifier
npgrad.ssl npgrad.ssl.method npgrad.ssl.evaluation npgrad.ssl.encoder npgrad.ssl.augment npgrad.ssl.patches
npgrad.ssl.autoencoder npgrad.ssl.inpainting npgrad.ssl.jigsaw npgrad.ssl.rotation npgrad.ssl.simclr
npgrad.ssl.context_prediction npgrad.ssl.pretext_lesson
npgrad.functional.elementwise npgrad.functional.reduction npgrad.functional.shape npgrad.functional.indexing
npgrad.functional.dropout npgrad.functional.attention npgrad.functional.linalg
npgrad.functional.activation npgrad.functional.contrastive npgrad.functional.conv npgrad.functional.embedding
npgrad.functional.loss npgrad.functional.normalization npgrad.functional.pooling npgrad.functional.recurrent
npgrad.functional.spatial
npgrad.optim npgrad.optim.optimizer npgrad.optim.sgd npgrad.optim.adam npgrad.optim.adamw npgrad.optim.adagrad
npgrad.optim.adadelta npgrad.optim.rmsprop npgrad.optim.lbfgs npgrad.optim.lr_scheduler npgrad.optim.param_groups
npgrad.autograd npgrad.cuda npgrad.accelerator npgrad.analysis npgrad.analysis.summary
npgrad.text npgrad.text.batching npgrad.text.decoding npgrad.text.metrics npgrad.text.mlm npgrad.text.tokenize
npgrad.text.vocab npgrad.text.wordpiece
npgrad.datasets npgrad.datasets.mnist npgrad.datasets.mnist1d npgrad.datasets.shakespeare npgrad.datasets.sign_language
npgrad.datasets.sst2 npgrad.datasets.storage npgrad.datasets.toy npgrad.datasets.translation npgrad.datasets.vision
npgrad.models npgrad.models.alexnet npgrad.models.autoencoder npgrad.models.bert npgrad.models.gan
npgrad.models.googlenet npgrad.models.gpt npgrad.models.lenet npgrad.models.mlp npgrad.models.resnet npgrad.models.rnn
npgrad.models.seq2seq npgrad.models.transformer_seq2seq npgrad.models.vae npgrad.models.vgg npgrad.models.vit
npgrad.textbook npgrad.textbook.activation npgrad.textbook.attention npgrad.textbook.conv npgrad.textbook.dropout
npgrad.textbook.linear npgrad.textbook.loss npgrad.textbook.normalization npgrad.textbook.optim npgrad.textbook.pooling
npgrad.textbook.recurrent
""".split()

# Namespaces a user imports from; what they re-export is checked when it is defined in TYPED.
NAMESPACES = TYPED + ["npgrad", "npgrad.nn", "npgrad.nn.functional"]

# Names a module imports only under TYPE_CHECKING because importing them at run time would be a
# cycle (tensor.py imports autograd); the check supplies these, and nothing else, in that module.
CYCLE_IMPORTS = {"npgrad.autograd": {"Tensor": npgrad.Tensor}}

SELF_NAMES = {"self", "cls"}

# Modules too slow to import here (onnx takes ~0.6 s) behind the entry point that imports them
# on first call: their public functions are read from the source and must carry the entry
# point's parameter hints, which the walk resolves, and a return hint.
LAZY_IMPLEMENTATIONS = {"npgrad.onnx._export": "npgrad.onnx"}


def public_functions(owner):
    """The functions, methods (__init__ and __call__ included) and property getters that a module
    or class defines publicly, when they live in a TYPED module."""
    for name, value in vars(owner).items():
        if name.startswith("_") and name not in ("__init__", "__call__"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            value = value.fget
        if inspect.isfunction(value) and value.__module__ in TYPED:
            yield value


def public_classes(module):
    """The public classes of module defined in TYPED modules, with their TYPED bases (so what a
    private base such as _Loss or _ModuleSequence gives them is checked too)."""
    for name, value in vars(module).items():
        if not name.startswith("_") and isinstance(value, type) and user_facing(value):
            yield from (base for base in value.__mro__ if base.__module__ in TYPED)


def user_facing(cls):
    """Function subclasses are the engine's inside (forward/backward on arrays), except the
    textbook tier's, which learners read and call."""
    return not issubclass(cls, Function) or cls.__module__.startswith("npgrad.textbook")


def tensor_operators():
    """Tensor's operators (x + y, x[i], x @ w, x += y) are reached through its dunder methods."""
    for name, value in vars(npgrad.Tensor).items():
        if name.startswith("__") and inspect.isfunction(value) and value.__module__ in TYPED:
            yield value


@functools.cache
def signatures():
    """{function: 'module.qualname'} for every public signature reached from NAMESPACES."""
    functions = list(tensor_operators())
    for module in map(importlib.import_module, NAMESPACES):
        functions += public_functions(module)
        for cls in public_classes(module):
            functions += public_functions(cls)
    return {function: f"{function.__module__}.{function.__qualname__}" for function in functions}


def missing_hints(function):
    """The names of function's unannotated parameters, and 'return' when its return is bare."""
    parameters = list(inspect.signature(function).parameters.values())
    if parameters and parameters[0].name in SELF_NAMES and "." in function.__qualname__:
        parameters = parameters[1:]
    missing = [p.name for p in parameters if p.annotation is inspect.Parameter.empty]
    if "return" not in function.__annotations__:
        missing.append("return")
    return missing


def test_every_public_signature_is_annotated():
    found = signatures()
    assert len(found) > 1000, f"the walk found only {len(found)} signatures"
    bare = [f"{label}: {', '.join(names)}" for function, label in found.items() if (names := missing_hints(function))]
    assert not bare, f"{len(bare)} public signatures lack hints:\n" + "\n".join(sorted(bare))


def unresolved(function):
    """Why typing.get_type_hints fails on function's hints in its own module, or None."""
    try:
        typing.get_type_hints(function, localns=CYCLE_IMPORTS.get(function.__module__))
    except Exception as error:  # NameError for a missing name, TypeError for a non-type
        return f"{type(error).__name__}: {error}"
    return None


def test_every_hint_resolves():
    failures = [f"{label}: {why}" for function, label in signatures().items() if (why := unresolved(function))]
    assert not failures, "\n".join(sorted(failures))


def test_cycle_imports_are_only_the_names_a_cycle_keeps_out():
    for module, names in CYCLE_IMPORTS.items():
        assert not set(names) & set(vars(sys.modules[module])), f"{module} imports them now: drop them from the list"
    assert (
        typing.get_type_hints(npgrad.autograd.backward, localns=CYCLE_IMPORTS["npgrad.autograd"])["root"]
        is npgrad.Tensor
    )


def shadowed(function):
    """Names in a method's hints that its own class also defines (Tensor.bool, Tensor.float):
    get_type_hints reads them in the module, but a type checker reads them in the class body,
    as the method (write _bool, _int, _float from npgrad.types there)."""
    owner = sys.modules[function.__module__]
    for part in function.__qualname__.split(".")[:-1]:
        owner = getattr(owner, part, None)
    if not isinstance(owner, type):
        return []
    names = {
        name for hint in function.__annotations__.values() for name in re.findall(r"(?<![\w.])[A-Za-z_]\w*", str(hint))
    }
    return sorted(names & set(vars(owner)))


class Shadowing:
    def int(self) -> "int":  # a type checker reads this `int` as the method itself
        return 0


def source_hints(module_name):
    """{name: {parameter or 'return': hint as written}} for the public functions a module defines
    at its top level, read from its source without importing it."""
    tree = ast.parse(open(importlib.util.find_spec(module_name).origin).read())
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")]
    return {function.name: written_hints(function) for function in functions}


def written_hints(function):
    arguments = function.args
    parameters = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
    parameters += [p for p in (arguments.vararg, arguments.kwarg) if p is not None]
    hints = {p.arg: ast.unparse(p.annotation) for p in parameters if p.annotation is not None}
    return hints | ({"return": ast.unparse(function.returns)} if function.returns is not None else {})


def test_lazy_implementations_carry_their_entry_points_hints():
    for module_name, entry_point in LAZY_IMPLEMENTATIONS.items():
        for name, hints in source_hints(module_name).items():
            public = getattr(importlib.import_module(entry_point), name)
            expected = {k: v for k, v in public.__annotations__.items() if k != "return"}
            assert {k: v for k, v in hints.items() if k != "return"} == expected, f"{module_name}.{name}"
            assert "return" in hints, f"{module_name}.{name}: return"


def test_no_hint_names_a_member_of_its_class():
    failures = [f"{label}: {names}" for function, label in signatures().items() if (names := shadowed(function))]
    assert not failures, "\n".join(sorted(failures))


def test_the_checks_catch_a_missing_or_unresolvable_hint():
    def annotated(x: int, *sizes: int, scale: float = 1.0) -> int:
        return x

    def bare_parameter(x: int, y) -> int:
        return x

    def bare_return(x: int):
        return x

    def imported_only_for_type_checkers(x: "NotImportedHere") -> int:  # noqa: F821
        return 0

    assert missing_hints(annotated) == []
    assert missing_hints(bare_parameter) == ["y"]
    assert missing_hints(bare_return) == ["return"]
    assert unresolved(annotated) is None
    assert "NameError" in unresolved(imported_only_for_type_checkers)
    assert shadowed(Shadowing.int) == ["int"]


def test_hints_read_as_pytorch_writes_them():
    hints = typing.get_type_hints(npgrad.nn.Linear.__init__)
    assert hints["in_features"] is int and hints["bias"] is bool and hints["return"] is type(None)
    assert typing.get_type_hints(npgrad.Tensor.__add__)["return"] is npgrad.Tensor
    assert typing.get_type_hints(npgrad.Tensor.float)["return"] is npgrad.Tensor
    assert typing.get_type_hints(npgrad.Tensor.is_floating_point)["return"] is bool
    assert typing.get_type_hints(npgrad.optim.SGD.__init__)["lr"] is float
    assert typing.get_type_hints(npgrad.models.resnet18)["return"] is npgrad.models.resnet.ResNet
    assert typing.get_type_hints(npgrad.text.Vocab.encode)["return"] is np.ndarray
