"""npgrad.train: the Trainer loop, metrics, callbacks, clipping, schedulers and exact resume."""

import copy
import csv
import io as text_io
import math
import sys

import numpy as np
import pytest

import npgrad
from npgrad import io, nn, optim
from npgrad.data import DataLoader, TensorDataset
from npgrad.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    TerminateOnNaN,
    Trainer,
    accuracy,
    confusion_matrix,
    get_metric,
    register_metric,
    top_k_accuracy,
)


def blobs(n=120, seed=0):
    """Two Gaussian clouds in 4-D, separable by x0 + x1 > 0."""
    x = np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def loader(x, y, batch_size=16, **kwargs):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, **kwargs)


def mlp(dropout=0.0):
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 2))


def make_trainer(model=None, lr=0.1, **kwargs):
    model = model or mlp()
    return Trainer(model, optim.SGD(model.parameters(), lr=lr), nn.CrossEntropyLoss(), **kwargs)


def weights_equal(a, b):
    return all(np.array_equal(a[name], b[name]) for name in a)


# -- the loop -------------------------------------------------------------------------------
def test_fit_learns_a_separable_problem():
    x, y = blobs()
    trainer = make_trainer(lr=0.3, metrics=["accuracy"])
    history = trainer.fit(loader(x, y, shuffle=True), loader(x, y, 64), epochs=10)
    assert history.epoch == list(range(10)) and trainer.epoch == 10 and trainer.global_step == 10 * 8
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["val_accuracy"][-1] >= 0.95
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert trainer.history is history


def test_fit_uses_train_mode_and_evaluation_uses_eval_mode_without_grad():
    seen = []

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            seen.append((self.training, npgrad.is_grad_enabled()))
            return self.fc(x)

    x, y = blobs(32)
    trainer = make_trainer(Spy())
    trainer.fit(loader(x, y, 32), loader(x, y, 32), epochs=1)
    assert seen == [(True, True), (False, False)]
    assert trainer.model.training  # evaluate puts the mode back


def test_evaluate_weights_uneven_batches_by_size():
    x, y = blobs(10)
    trainer = make_trainer(metrics=["accuracy"])
    outputs = trainer.predict(x)
    expected_accuracy = np.mean(outputs.argmax(1) == y)
    expected_loss = nn.functional.cross_entropy(npgrad.tensor(outputs), npgrad.tensor(y)).item()
    result = trainer.evaluate(loader(x, y, batch_size=4))  # batches of 4, 4, 2
    assert result["accuracy"] == pytest.approx(expected_accuracy)
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-5)


def test_predict_on_arrays_tensors_and_loaders_in_eval_mode():
    x, y = blobs(20)
    model = mlp(dropout=0.5)
    trainer = make_trainer(model)
    with npgrad.no_grad():
        expected = model.eval()(npgrad.tensor(x)).numpy()
    model.train()
    np.testing.assert_allclose(trainer.predict(x, batch_size=7), expected, rtol=1e-6)
    np.testing.assert_allclose(trainer.predict(npgrad.tensor(x)), expected, rtol=1e-6)
    np.testing.assert_allclose(trainer.predict(loader(x, y, 6)), expected, rtol=1e-6)
    assert model.training


def test_train_step_can_be_overridden():
    class CountingTrainer(Trainer):
        def train_step(self, batch):
            return {"loss": 1.0, "seen": float(len(batch[0]))}

    x, y = blobs(10)
    history = CountingTrainer(mlp(), optim.SGD(mlp().parameters()), nn.CrossEntropyLoss()).fit(loader(x, y, 4))
    assert history.history["seen"] == [pytest.approx((4 * 4 + 4 * 4 + 2 * 2) / 10)]


def test_trainer_errors_are_clear():
    with pytest.raises(ValueError, match="scheduler_step must be 'epoch' or 'batch'"):
        make_trainer(scheduler_step="step")
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        Trainer(mlp(), optim.SGD(mlp().parameters()), "mse")
    x, y = blobs(10)
    with pytest.raises(TypeError, match=r"expected batches \(inputs..., targets\), got a tuple of 1"):
        make_trainer().fit(DataLoader(TensorDataset(x), 4))
    with pytest.raises(ValueError, match="yielded no batches"):
        make_trainer().fit(loader(x, y, 16, drop_last=True))


# -- metrics --------------------------------------------------------------------------------
SCORES = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], np.float32)
TARGETS = np.array([1, 1, 2, 2])


def test_accuracy_by_hand():
    assert accuracy(SCORES, TARGETS) == 0.5
    assert accuracy(npgrad.tensor(SCORES), npgrad.tensor(TARGETS)) == 0.5
    assert accuracy(SCORES, np.eye(3)[TARGETS]) == 0.5  # one-hot targets
    assert accuracy(np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)
    assert accuracy(np.array([[2.0], [-1.0]]), np.array([1, 1]), threshold=0) == 0.5  # logits
    with pytest.raises(ValueError, match="outputs are for 4 samples, targets for 3"):
        accuracy(SCORES, TARGETS[:3])


def test_top_k_accuracy_by_hand():
    # the top-2 classes of each row are {1, 2}, {0, 1}, {2, 1}, {0, 2}
    assert top_k_accuracy(SCORES, TARGETS, k=2) == 1.0
    assert top_k_accuracy(SCORES, np.array([0, 0, 0, 1]), k=2) == 0.25
    assert top_k_accuracy(SCORES, TARGETS, k=1) == accuracy(SCORES, TARGETS)
    with pytest.raises(ValueError, match="C >= k = 5"):
        top_k_accuracy(SCORES, TARGETS, k=5)


def test_confusion_matrix_by_hand_and_against_a_loop():
    expected = np.array([[0, 0, 0], [1, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(confusion_matrix(SCORES, TARGETS), expected)
    np.testing.assert_array_equal(confusion_matrix(np.array([1, 0, 2, 0]), TARGETS, num_classes=4)[:3, :3], expected)
    rng = np.random.default_rng(1)
    predictions, labels = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    looped = np.zeros((5, 5), np.int64)
    for true, predicted in zip(labels, predictions):
        looped[true, predicted] += 1
    np.testing.assert_array_equal(confusion_matrix(predictions, labels, 5), looped)
    with pytest.raises(ValueError, match=r"must lie in \[0, 2\)"):
        confusion_matrix(SCORES, TARGETS, num_classes=2)


def test_metrics_by_name_and_by_function():
    assert get_metric("acc") == ("acc", accuracy)
    name, top2 = get_metric("top2")
    assert name == "top2" and top2(SCORES, TARGETS) == 1.0
    assert get_metric("top_2_accuracy")[1](SCORES, np.array([0, 0, 0, 1])) == 0.25

    def error_rate(outputs, targets):
        return 1 - accuracy(outputs, targets)

    assert get_metric(error_rate) == ("error_rate", error_rate)
    register_metric("error", error_rate)
    assert get_metric("error")[1] is error_rate
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        get_metric("f1")


def test_training_metrics_are_weighted_over_uneven_batches():
    x, y = blobs(10)

    def first_sample_is_class_one(outputs, targets):
        return float(targets.numpy()[0] == 1)  # a per-batch value, to check the weighting

    trainer = make_trainer(lr=0.0, metrics=[first_sample_is_class_one])
    history = trainer.fit(loader(x, y, batch_size=4), epochs=1)
    expected = (4 * (y[0] == 1) + 4 * (y[4] == 1) + 2 * (y[8] == 1)) / 10
    assert history.history["first_sample_is_class_one"] == [pytest.approx(expected)]


# -- gradient clipping and schedulers -------------------------------------------------------
def test_gradient_norm_clipping_is_applied_before_the_step():
    x, y = blobs(16)
    model = mlp()
    before = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    trainer = make_trainer(model, lr=1.0, grad_clip_norm=1e-3)
    trainer.train_step((npgrad.tensor(x), npgrad.tensor(y)))
    grads = {name: p.grad for name, p in model.named_parameters()}
    assert math.sqrt(sum(float((g**2).sum()) for g in grads.values())) == pytest.approx(1e-3, rel=1e-3)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(
            before[name] - p.detach().numpy(), grads[name], atol=1e-7
        )  # step used the clipped grad


def test_gradient_value_clipping_is_applied():
    x, y = blobs(16)
    model = mlp()
    make_trainer(model, grad_clip_value=1e-4).train_step((npgrad.tensor(x), npgrad.tensor(y)))
    largest = max(float(np.abs(p.grad).max()) for p in model.parameters())
    assert largest == pytest.approx(1e-4)


@pytest.mark.parametrize(
    "when, expected_lrs, final_lr",
    [
        ("epoch", [0.1, 0.05, 0.025], 0.0125),
        ("batch", [0.1, 0.1 * 0.5**3, 0.1 * 0.5**6], 0.1 * 0.5**9),
    ],
)
def test_scheduler_steps_per_epoch_or_per_batch(when, expected_lrs, final_lr):
    x, y = blobs(12)
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler, scheduler_step=when)
    history = trainer.fit(loader(x, y, batch_size=4), epochs=3)  # 3 batches per epoch
    assert history.history["lr"] == pytest.approx(expected_lrs)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(final_lr)


def test_reduce_lr_on_plateau_gets_the_validation_loss():
    x, y = blobs(12)
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler)
    history = trainer.fit(loader(x, y, 4), loader(x, y, 12), epochs=2)
    assert scheduler.best == min(history.history["val_loss"])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler, scheduler_step="batch")


def test_learning_rate_scheduler_callback():
    x, y = blobs(8)
    trainer = make_trainer(callbacks=[LearningRateScheduler(lambda epoch, lr: 0.5 / (epoch + 1))])
    assert trainer.fit(loader(x, y), epochs=3).history["lr"] == pytest.approx([0.5, 0.25, 0.5 / 3])


# -- callbacks ------------------------------------------------------------------------------
class ScriptedValidation(Trainer):
    """Validation losses come from a script, one per epoch; training is real."""

    def __init__(self, val_losses, **kwargs):
        model = mlp()
        super().__init__(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), **kwargs)
        self.val_losses = val_losses

    def eval_step(self, batch):
        return {"loss": self.val_losses[self.epoch]}


class RecordWeights(Callback):
    def __init__(self):
        self.after_epoch = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.after_epoch.append(copy.deepcopy(trainer.model.state_dict()))  # state_dict shares memory


def fit_scripted(val_losses, callbacks, epochs=10):
    """The trainer, and the weights after each epoch (recorded before the other callbacks run)."""
    x, y = blobs(16)
    recorder = RecordWeights()
    trainer = ScriptedValidation(val_losses, callbacks=[recorder, *callbacks])
    trainer.fit(loader(x, y, 8), loader(x, y, 16), epochs=epochs)
    return trainer, recorder.after_epoch


def test_early_stopping_stops_at_the_right_epoch_and_restores_the_best_weights():
    stopper = EarlyStopping(patience=2, min_delta=0.01, restore_best_weights=True)
    trainer, weights_after_epoch = fit_scripted([1.0, 0.8, 0.795, 0.9, 0.7, 0.6], [stopper])
    # epoch 1 is best; 2 improves by less than min_delta; 3 is worse: patience runs out at epoch 3
    assert (stopper.best_epoch, stopper.stopped_epoch) == (1, 3)
    assert trainer.history.epoch == [0, 1, 2, 3]
    assert weights_equal(trainer.model.state_dict(), weights_after_epoch[1])
    assert not weights_equal(trainer.model.state_dict(), weights_after_epoch[3])


def test_early_stopping_in_max_mode_and_without_restoring():
    stopper = EarlyStopping(monitor="val_loss", mode="max", patience=1)
    trainer, weights_after_epoch = fit_scripted([1.0, 2.0, 1.5, 3.0], [stopper])
    assert stopper.stopped_epoch == 2 and trainer.history.epoch == [0, 1, 2]
    assert weights_equal(trainer.model.state_dict(), weights_after_epoch[2])
    assert EarlyStopping(monitor="val_accuracy").tracker.mode == "max"
    with pytest.raises(ValueError, match="monitor 'val_accuracy' is not in the logs"):
        fit_scripted([1.0], [EarlyStopping(monitor="val_accuracy")])


def test_model_checkpoint_writes_best_and_last(tmp_path):
    best, last = tmp_path / "run" / "best.safetensors", tmp_path / "run" / "last.safetensors"
    trainer, weights_after_epoch = fit_scripted(
        [0.9, 0.5, 0.7, 0.6], [ModelCheckpoint(best, save_best_only=True), ModelCheckpoint(last)], epochs=4
    )
    assert io.load(best)["epoch"] == 2 and io.load(last)["epoch"] == 4  # epochs done when saved
    assert weights_equal(io.load(best)["model"], weights_after_epoch[1])
    assert weights_equal(io.load(last)["model"], trainer.model.state_dict())


def test_model_checkpoint_path_template(tmp_path):
    fit_scripted([0.5, 0.25], [ModelCheckpoint(str(tmp_path / "e{epoch:02d}-{val_loss:.2f}.safetensors"))], epochs=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e01-0.50.safetensors", "e02-0.25.safetensors"]


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    path = tmp_path / "logs" / "metrics.csv"
    path.parent.mkdir()
    path.write_text("old content\n")
    trainer, _ = fit_scripted([0.5, 0.25], [CSVLogger(path)], epochs=2)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "accuracy", "loss", "lr", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["1", "2"]  # epochs from 1, as ProgressBar and checkpoints
    assert [float(row[4]) for row in rows[1:]] == [0.5, 0.25]
    assert float(rows[2][2]) == pytest.approx(trainer.history.history["loss"][1])
    fit_scripted([0.1], [CSVLogger(path, append=True)], epochs=1)
    assert len(list(csv.reader(path.open()))) == 4


def test_terminate_on_nan_stops_at_once(capsys):
    calls = []

    def loss_that_explodes(outputs, targets):
        calls.append(1)
        loss = nn.functional.cross_entropy(outputs, targets)
        return loss * float("nan") if len(calls) == 3 else loss

    x, y = blobs(40)
    model = mlp()
    trainer = Trainer(model, optim.SGD(model.parameters()), loss_that_explodes, callbacks=[TerminateOnNaN()])
    history = trainer.fit(loader(x, y, 8), epochs=5)
    assert trainer.global_step == 3 and trainer.stop_training
    assert history.epoch == []  # the unfinished epoch is abandoned, not logged
    assert "loss is nan at step 2 of epoch 1" in capsys.readouterr().err


def test_progress_bar_prints_one_line_per_epoch_without_tqdm(capsys):
    x, y = blobs(20)
    make_trainer(callbacks=[ProgressBar(use_tqdm=False)]).fit(loader(x, y, 8), loader(x, y, 20), epochs=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("epoch 2/2 - step 3/3 - loss ")
    assert " - accuracy " in lines[1] and " - val_loss " in lines[1] and lines[1].endswith(" it/s")


def test_progress_bar_falls_back_when_tqdm_is_missing(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    bar = ProgressBar()
    assert bar.tqdm is None
    x, y = blobs(8)
    make_trainer(callbacks=[bar]).fit(loader(x, y, 8), epochs=1)
    assert capsys.readouterr().out.startswith("epoch 1/1 - step 1/1 - loss")
    with pytest.raises(ImportError, match="pip install npgrad\\[progress\\]"):
        ProgressBar(use_tqdm=True)


def test_progress_bar_uses_tqdm_when_installed():
    pytest.importorskip("tqdm")
    out = text_io.StringIO()
    x, y = blobs(20)
    make_trainer(callbacks=[ProgressBar(file=out)]).fit(loader(x, y, 8), loader(x, y, 20), epochs=2)
    text = out.getvalue()
    assert "epoch 1/2" in text and "epoch 2/2" in text and "3/3" in text
    assert "loss=" in text and "val_accuracy=" in text and "step/s" in text


class FakeTerminal(text_io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream, seconds", [(text_io.StringIO, (30, 30)), (FakeTerminal, (0.1, 10))])
def test_progress_bar_refreshes_rarely_in_a_log_file(stream, seconds):
    pytest.importorskip("tqdm")
    bar, intervals = ProgressBar(file=stream()), []

    class Spy(Callback):
        def on_batch_end(self, trainer, step, logs):
            intervals.append((bar.bar.mininterval, bar.bar.maxinterval))

    x, y = blobs(20)
    make_trainer(callbacks=[bar, Spy()]).fit(loader(x, y, 8), epochs=1)
    assert intervals == [seconds] * 3


# -- resuming -------------------------------------------------------------------------------
def build_run(seed, checkpoint_path):
    """A run with everything random: init, dropout, shuffling with its own generator, a scheduler."""
    npgrad.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    trainer = Trainer(
        model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler, callbacks=[ModelCheckpoint(checkpoint_path)]
    )
    x, y = blobs(60)
    return trainer, loader(x, y, 16, shuffle=True, generator=123), loader(x, y, 30)


def test_interrupted_and_resumed_run_ends_with_the_same_weights(tmp_path):
    last = tmp_path / "last.safetensors"
    straight, train, val = build_run(0, tmp_path / "straight.safetensors")
    straight_history = straight.fit(train, val, epochs=5)

    interrupted, train, val = build_run(0, last)
    interrupted.fit(train, val, epochs=2)
    assert not weights_equal(interrupted.model.state_dict(), straight.model.state_dict())

    resumed, train, val = build_run(99, last)  # after the "crash": new objects, other seed
    history = resumed.fit(train, val, epochs=5, resume=last)
    assert weights_equal(resumed.model.state_dict(), straight.model.state_dict())
    assert resumed.epoch == 5 and resumed.global_step == straight.global_step
    assert history.epoch == list(range(5)) and history.history == straight_history.history


def test_resuming_without_the_random_state_would_differ(tmp_path):
    """The control for the test above: weights and optimizer alone do not reproduce the run."""
    last = tmp_path / "last.safetensors"
    straight, train, val = build_run(0, tmp_path / "straight.safetensors")
    straight.fit(train, val, epochs=4)
    interrupted, train, val = build_run(0, last)
    interrupted.fit(train, val, epochs=2)

    resumed, train, val = build_run(99, tmp_path / "other.safetensors")
    checkpoint = io.load(last)
    resumed.model.load_state_dict(checkpoint["model"])
    resumed.optimizer.load_state_dict(checkpoint["optimizer"])
    resumed.scheduler.load_state_dict(checkpoint["scheduler"])
    for _ in range(2):
        resumed.fit(train, val, epochs=1)
    assert not weights_equal(resumed.model.state_dict(), straight.model.state_dict())


def test_best_checkpoint_remembers_the_best_of_the_run_before_resuming(tmp_path):
    best, last = tmp_path / "best.safetensors", tmp_path / "last.safetensors"
    val_losses = [0.5, 0.9, 0.8, 0.7]

    def checkpoints():
        return [ModelCheckpoint(best, save_best_only=True), ModelCheckpoint(last)]

    fit_scripted(val_losses, checkpoints(), epochs=2)
    resumed = ScriptedValidation(val_losses, callbacks=checkpoints())
    x, y = blobs(16)
    resumed.fit(loader(x, y, 8), loader(x, y, 16), epochs=4, resume=last)
    assert resumed.history.history["val_loss"] == val_losses
    assert io.load(best)["epoch"] == 1  # 0.8 and 0.7 after the resume never beat epoch 0's 0.5


def test_step_losses_records_each_steps_own_loss():
    from npgrad.train import StepLosses

    npgrad.manual_seed(0)
    x, y = npgrad.randn(40, 3), npgrad.randint(0, 2, (40,))
    model = npgrad.nn.Linear(3, 2)
    recorder = StepLosses()
    trainer = Trainer(
        model, npgrad.optim.SGD(model.parameters(), lr=0.1), npgrad.nn.CrossEntropyLoss(), callbacks=[recorder]
    )
    from npgrad.data import DataLoader, TensorDataset

    trainer.fit(DataLoader(TensorDataset(x, y), batch_size=10), epochs=2)
    assert len(recorder.losses) == 8
    assert recorder.losses[-1] == trainer.step_logs["loss"]
    assert trainer.history.history["loss"][0] == pytest.approx(np.mean(recorder.losses[:4]), rel=1e-6)
