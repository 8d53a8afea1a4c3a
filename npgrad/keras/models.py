"""Model (the functional API) and Sequential: npgrad Modules with Keras's compile / fit /
evaluate / predict / summary, trained by npgrad.train.Trainer.

    inputs = Input(shape=(784,))
    x = Dense(64, activation='relu')(inputs)
    outputs = Dense(10, activation='softmax')(x)
    model = Model(inputs=inputs, outputs=outputs)      # an nn.Module: model(x) runs the graph
    model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['acc'])
    history = model.fit(x_train, y_train, batch_size=128, epochs=5, validation_split=0.1)

The model's layers are its submodules, under their Keras names (model.dense_1.linear.weight),
so state_dict, parameters() and npgrad.summary work as for any npgrad Module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..analysis.summary import summary as trace_summary
from ..data import DataLoader, TensorDataset
from ..nn.module import Module
from ..tensor import Tensor
from ..train import Trainer
from ..train.callbacks import History, ProgressBar
from ..types import ArrayLike
from . import callbacks as keras_callbacks, losses, optimizers
from .engine import Input, KerasTensor, Layer, get_weights, set_weights, unique_name


class Model(Module):
    """The layers that lead from `inputs` to `outputs` (KerasTensors, or lists of them), replayed
    on real tensors by forward. Branches that split and join again (Add, Concatenate) are fine."""

    def __init__(
        self, inputs: KerasTensor | list[KerasTensor], outputs: KerasTensor | list[KerasTensor], name: str | None = None
    ) -> None:
        self._start(name or unique_name("functional"))
        self._set_graph(inputs, outputs)

    def _start(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.compiled = False
        self.stop_training = False  # for Keras-style callbacks
        self._emit_logits = False
        self._inputs = self._outputs = self._nodes = None

    # -- the graph -----------------------------------------------------------------------------
    def _set_graph(self, inputs: KerasTensor | list[KerasTensor], outputs: KerasTensor | list[KerasTensor]) -> None:
        self._single_output = not isinstance(outputs, (list, tuple))
        self._inputs, self._outputs = _keras_tensors("inputs", inputs), _keras_tensors("outputs", outputs)
        self._nodes = _graph_order(self._inputs, self._outputs)
        self._modules.clear()
        for layer in _unique(tensor.layer for tensor in self._nodes):
            if layer.name in self._modules:
                raise ValueError(
                    f"model '{self.name}': two layers are named '{layer.name}'; layer names must be unique"
                )
            self.add_module(layer.name, layer)

    @property
    def built(self) -> bool:
        return self._nodes is not None

    @property
    def layers(self) -> list[Layer]:
        return list(self._modules.values())

    def get_layer(self, name: str) -> Layer:
        if name not in self._modules:
            raise ValueError(f"model '{self.name}' has no layer '{name}'; its layers are {list(self._modules)}")
        return self._modules[name]

    def forward(self, *inputs: Tensor | ArrayLike) -> Tensor | list[Tensor]:
        """Run the layers in order on real tensors: model(x), or model(x1, x2) for several inputs."""
        if len(inputs) != len(self._inputs) or any(isinstance(x, KerasTensor) for x in inputs):
            raise ValueError(
                f"model '{self.name}': expected {len(self._inputs)} input tensor(s) or array(s), "
                f"got {len(inputs)} argument(s) (calling a Model on KerasTensors is not supported)"
            )
        values = {id(tensor): tensor.layer(x) for tensor, x in zip(self._inputs, inputs)}
        for tensor in self._nodes:
            if tensor.inputs is not None:
                values[id(tensor)] = self._run_node(tensor, values)
        outputs = [values[id(tensor)] for tensor in self._outputs]
        return outputs[0] if self._single_output else outputs

    def _run_node(self, tensor: KerasTensor, values: dict[int, Tensor]) -> Tensor:
        parents = tensor.inputs
        args = [values[id(p)] for p in parents] if isinstance(parents, list) else values[id(parents)]
        if self._emit_logits and any(tensor is output for output in self._outputs):
            return tensor.layer(args, logits=True)
        return tensor.layer(args)

    def _output_layer(self) -> Layer:
        return self._outputs[0].layer

    def _prepare_for(self, x: np.ndarray) -> None:
        """Before fit, evaluate or predict feed it x: a Sequential model builds itself from the
        first data it sees; a functional model checks that it takes one input, as they feed one."""
        if len(self._inputs) > 1:
            raise NotImplementedError(
                f"model '{self.name}' has {len(self._inputs)} inputs; npgrad.keras fits, "
                "evaluates and predicts models with one (call the model on tensors instead)"
            )

    # -- compile -------------------------------------------------------------------------------
    def compile(
        self,
        optimizer: str | optimizers.Optimizer = "rmsprop",
        loss: str | losses.Loss | None = None,
        metrics: Sequence[str] | None = None,
    ) -> None:
        """Choose the optimizer ('adam', 'sgd', 'rmsprop', 'adagrad' or an optimizers object), the
        loss (a name or a losses object) and the metrics ('acc' or 'accuracy').

        When the last layer's activation is softmax and the loss a categorical cross-entropy (or
        sigmoid and binary cross-entropy), the two are fused: during fit and evaluate the model
        gives its logits and the loss takes them, which is exact and numerically stable;
        predict and model(x) still give probabilities.
        """
        if loss is None:
            raise ValueError("compile: give a loss, e.g. loss='categorical_crossentropy'")
        if self.built and len(self._outputs) > 1:
            raise NotImplementedError(
                f"compile: model '{self.name}' has {len(self._outputs)} outputs; "
                "npgrad.keras trains models with one output"
            )
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metrics_names = ["loss", *(_metric_name(m) for m in metrics or ())]
        fused = getattr(self._output_layer(), "activation_name", None) == self.loss.fused_activation
        self._fuse_output_activation = fused and not self.loss.from_logits
        self._loss_takes_logits = self._fuse_output_activation or self.loss.from_logits
        self._npgrad_optimizer = None  # built from the parameters when fit first needs it
        self.compiled = True

    def _compute_loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        return self.loss.compute(outputs, targets, logits=self._loss_takes_logits)

    def _metric_functions(self) -> list[Callable[[Tensor, Tensor], float]]:
        return [self._accuracy(name) for name in self.metrics_names[1:]]

    def _accuracy(self, name: str) -> Callable[[Tensor, Tensor], float]:
        def accuracy(outputs: Tensor, targets: Tensor) -> float:
            return float(np.mean(self.loss.correct(outputs, targets, self._loss_takes_logits)))

        accuracy.__name__ = name  # the Trainer logs a metric function under its name
        return accuracy

    @contextlib.contextmanager
    def _logits_out(self, logits: bool) -> Iterator[None]:
        """Within the block, forward gives the last layer's logits (when the loss fuses its
        activation, for fit and evaluate) or its activated outputs (logits=False, for predict)."""
        previous, self._emit_logits = self._emit_logits, logits
        try:
            yield
        finally:
            self._emit_logits = previous

    def _trainer(self, callbacks: Sequence[Any] = ()) -> Trainer:
        if not self.compiled:
            raise RuntimeError(
                f"model '{self.name}' must be compiled first: call model.compile(loss=..., "
                "optimizer=..., metrics=[...])"
            )
        if self._npgrad_optimizer is None:
            self._npgrad_optimizer = self.optimizer.build(self.parameters())
        return Trainer(
            self, self._npgrad_optimizer, self._compute_loss, metrics=self._metric_functions(), callbacks=callbacks
        )

    # -- fit, evaluate, predict ----------------------------------------------------------------
    def fit(
        self,
        x: Tensor | ArrayLike | None = None,
        y: Tensor | ArrayLike | None = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | str = "auto",
        callbacks: list[Any] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[Any, Any] | None = None,
        shuffle: bool = True,
    ) -> History:
        """Train on arrays (or Tensors) x, y for `epochs` epochs and return the History, whose
        .history holds 'loss', the metrics as named in compile, and 'val_...' for them when
        there is validation data: validation_data=(x_val, y_val), or validation_split, the
        fraction of x, y taken from their end (before any shuffling), as in Keras.
        verbose: 0 silent, 1 (or 'auto') a progress bar, 2 one line per epoch."""
        x, y = _inputs_and_targets(x, y)
        self._prepare_for(x)
        (x, y), validation = _split_validation(x, y, validation_split, validation_data)
        batch_size = batch_size or 32
        train_loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
        val_loader = None if validation is None else DataLoader(TensorDataset(*validation), batch_size=batch_size)
        trainer = self._trainer([*_progress(verbose), *keras_callbacks.for_trainer(callbacks, self)])
        with self._logits_out(self._fuse_output_activation):
            history = trainer.fit(train_loader, val_loader, epochs=epochs)
        history.history.pop("lr", None)  # Keras's History holds the losses and metrics only
        history.model, history.params = self, {"verbose": verbose, "epochs": epochs, "steps": len(train_loader)}
        return history

    def evaluate(
        self,
        x: Tensor | ArrayLike | None = None,
        y: Tensor | ArrayLike | None = None,
        batch_size: int | None = None,
        verbose: int | str = "auto",
        return_dict: bool = False,
    ) -> float | list[float] | dict[str, float]:
        """The loss, or [loss, metric, ...] in the order of metrics_names, on x, y (or a dict of
        them with return_dict=True). verbose is accepted for compatibility; nothing is printed."""
        x, y = _inputs_and_targets(x, y)
        self._prepare_for(x)
        loader = DataLoader(TensorDataset(x, y), batch_size=batch_size or 32)
        trainer = self._trainer()
        with self._logits_out(self._fuse_output_activation):
            results = trainer.evaluate(loader)
        if return_dict:
            return results
        values = [results[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(self, x: Tensor | ArrayLike, batch_size: int | None = None, verbose: int | str = "auto") -> np.ndarray:
        """The model's outputs for x (with every activation applied), as a NumPy array. verbose is
        accepted for compatibility; nothing is printed."""
        x = _inputs(x)
        self._prepare_for(x)
        with self._logits_out(False):
            return Trainer(self, None, self._compute_loss, metrics=None).predict(x, batch_size=batch_size or 32)

    # -- inspection ----------------------------------------------------------------------------
    def summary(self, print_fn: Callable[[str], Any] = print) -> None:
        """Print Keras's table of layers (name (type), output shape, parameters) with each
        layer's multiply-accumulates, and the totals; see npgrad.analysis.summary."""
        if not self.built:
            raise ValueError(
                f"model '{self.name}' has not been built yet, so its shapes are unknown: start it with "
                "Input(shape=...), give its first layer input_shape=..., or call fit() first"
            )
        result = trace_summary(self, [tensor.shape[1:] for tensor in self._inputs], print_table=False)
        print_fn(f'Model: "{self.name}"')
        print_fn(result.table(max_depth=1, shape_label=_keras_shape))

    def get_weights(self) -> list[np.ndarray]:
        return get_weights(self)

    def set_weights(self, weights: Sequence[ArrayLike]) -> None:
        set_weights(self, weights, f"model '{self.name}'")

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


class Sequential(Model):
    """A stack of layers, each feeding the next: Sequential([Input(shape=(784,)), Dense(64, ...), ...]).
    Without an Input (or input_shape=... on the first layer) it is built by the first fit,
    predict or call, from the shape of that data."""

    def __init__(self, layers: Iterable[Layer | KerasTensor] | None = None, name: str | None = None) -> None:
        self._start(name or unique_name("sequential"))
        self._input, self._stack = None, []
        for layer in layers or ():
            self.add(layer)

    def add(self, layer: Layer | KerasTensor) -> None:
        if isinstance(layer, KerasTensor) and layer.inputs is None:
            if self._input is not None or self._stack:
                raise ValueError(f"model '{self.name}': an Input can only be the first entry")
            self._input = layer
        elif isinstance(layer, Layer):
            self._stack.append(layer)
        else:
            raise TypeError(f"model '{self.name}': expected a keras layer or an Input, got {type(layer).__name__}")
        if self._input is None and self._stack[0].declared_input_shape is not None:
            self._input = Input(self._stack[0].declared_input_shape[1:])
        if self._input is not None:
            self._connect()

    def _connect(self) -> None:
        output = self._input
        for layer in self._stack:
            output = layer(output)
        self._set_graph(self._input, output)

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def _output_layer(self) -> Layer:
        if not self._stack:
            raise ValueError(f"model '{self.name}' has no layers yet; add some before compiling")
        return self._stack[-1]

    def _prepare_for(self, x: np.ndarray) -> None:
        if self._input is None:
            self._input = Input(x.shape[1:])
            self._connect()

    def forward(self, x: Tensor | ArrayLike) -> Tensor | list[Tensor]:
        self._prepare_for(x)
        return super().forward(x)


# -- helpers ---------------------------------------------------------------------------------------
def _keras_tensors(what: str, tensors: KerasTensor | Sequence[KerasTensor]) -> list[KerasTensor]:
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    for tensor in tensors:
        if not isinstance(tensor, KerasTensor):
            raise TypeError(
                f"Model: {what} must be KerasTensors (from Input(...) and layer calls), got {type(tensor).__name__}"
            )
    return tensors


def _graph_order(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[KerasTensor]:
    """Every KerasTensor that the outputs are computed from, each after its parents."""
    order, visited = [], set()

    def visit(tensor: KerasTensor) -> None:
        if id(tensor) not in visited:
            visited.add(id(tensor))
            for parent in tensor.parents():
                visit(parent)
            order.append(tensor)

    for output in outputs:
        visit(output)
    for tensor in order:
        if tensor.inputs is None and not any(tensor is given for given in inputs):
            raise ValueError(
                f"Model: the outputs depend on Input '{tensor.layer.name}', which is not among the model's inputs"
            )
    return order


def _unique(items: Iterable[Layer]) -> list[Layer]:
    return list({id(item): item for item in items}.values())


def _metric_name(metric: str) -> str:
    if metric not in ("acc", "accuracy"):
        raise ValueError(f"unknown metric {metric!r}; npgrad.keras knows 'acc' and 'accuracy'")
    return metric


def _array(name: str, data: Tensor | ArrayLike | None) -> np.ndarray:
    if data is None:
        raise ValueError(f"{name} is required (a NumPy array or Tensor)")
    return data._data if isinstance(data, Tensor) else np.asarray(data)


def _inputs(x: Tensor | ArrayLike | None) -> np.ndarray:
    return _array("x", x).astype(np.float32, copy=False)  # Keras feeds models float32


def _inputs_and_targets(x: Tensor | ArrayLike | None, y: Tensor | ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    x, y = _inputs(x), _array("y", y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of samples, got {len(x)} and {len(y)}")
    return x, y


def _split_validation(
    x: np.ndarray, y: np.ndarray, validation_split: float, validation_data: tuple[Any, Any] | None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """((x, y) to train on, (x_val, y_val) or None)."""
    if validation_data is not None:
        return (x, y), _inputs_and_targets(*validation_data)
    if not validation_split:
        return (x, y), None
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1, got {validation_split}")
    split_at = int(len(x) * (1 - validation_split))  # the last samples validate, as in Keras
    if split_at == 0 or split_at == len(x):
        raise ValueError(
            f"validation_split={validation_split} of {len(x)} samples leaves no "
            f"{'training' if split_at == 0 else 'validation'} samples"
        )
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])


def _progress(verbose: int | str) -> list[ProgressBar]:
    if verbose in (1, "auto"):
        return [ProgressBar()]
    return [ProgressBar(use_tqdm=False)] if verbose == 2 else []


def _keras_shape(shape: tuple[int, ...] | list[Any] | None) -> str:
    """(1, 1024) -> '(None, 1024)': Keras writes the batch size as None."""
    if isinstance(shape, list):
        return ", ".join(map(_keras_shape, shape))
    return "--" if shape is None else str((None, *shape[1:])).replace(",)", ")")
