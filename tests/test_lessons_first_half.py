"""Smoke tests of the first half's lessons (perceptron ... architectures), each run once as a
script with --quick, and of `npgrad train` / `npgrad eval`."""

import json
import os

import pytest

from npgrad import cli


def test_perceptron_lesson(quick_lesson):
    result, out, printed = quick_lesson("perceptron")
    by_key = {(r["gate"], r["model"]): r for r in result["rows"]}
    for gate in ("AND", "OR"):
        for model in ("perceptron", "logistic", "MLP 2-4-1"):
            assert by_key[gate, model]["accuracy"] == 1.0
    assert by_key["XOR", "MLP 2-4-1"]["accuracy"] == 1.0
    for model in ("perceptron", "logistic"):
        assert by_key["XOR", model]["best_of_restarts"] <= 0.75
    assert result["best_linear_xor_accuracy_on_grid"] == 0.75
    for figure in ("decision_boundaries.png", "xor_loss.png"):
        assert (out / figure).stat().st_size > 10_000
    assert "XOR" in printed


def needs_figures():
    """`npgrad train` draws its curves with matplotlib, an optional dependency."""
    pytest.importorskip("matplotlib", reason="the lessons draw figures with matplotlib: pip install -e '.[all]'")


def test_init_activations_lesson(quick_lesson):
    result, out, _ = quick_lesson("init-activations")
    rows = {(r["activation"], r["init"]): r for r in result["rows"]}
    assert rows["tanh", "N(0,1)"]["saturated_last_layer"] > 0.5  # saturated
    assert rows["tanh", "std 0.01"]["std_per_layer"][-1] < 1e-3  # vanished
    assert rows["relu", "N(0,1)"]["std_per_layer"][-1] > 1e3  # exploded
    assert 0.3 < rows["relu", "He"]["std_per_layer"][-1] < 3  # kept
    assert len(list(out.glob("activations_*.png"))) == 3


def test_vanishing_gradients_lesson(quick_lesson):
    result, out, _ = quick_lesson("vanishing-gradients")
    assert result["first_to_last_ratio"]["sigmoid"] < 1e-3
    assert result["first_to_last_ratio"]["relu"] > 1e-2
    assert result["final_train_loss"]["relu"] < 2.0 < result["final_train_loss"]["sigmoid"]
    assert (out / "grad_norms.png").exists() and (out / "loss.png").exists()


def test_train_and_eval_commands(tmp_path, capsys):
    out = tmp_path / "run"
    needs_figures()
    assert cli.main(["train", "--quick", "--model", "mlp", "--epochs", "2", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    losses = result["history"]["loss"]
    assert losses[-1] < losses[0] and result["test_accuracy"] > 0.8
    for name in ("best.safetensors", "last.safetensors", "metrics.csv", "curves.png", "config.json"):
        assert (out / name).exists(), name
    epochs = [line.split(",")[0] for line in (out / "metrics.csv").read_text().splitlines()[1:]]
    assert epochs == ["1", "2"] and result["best_epoch"] in (1, 2)  # numbered from 1 everywhere
    capsys.readouterr()
    assert cli.main(["eval", str(out / "best.safetensors")]) == 0
    assert f"{result['test_accuracy']:.2%}" in capsys.readouterr().out


def test_fit_with_a_progress_label_draws_one_bar_over_every_step(capsys):
    import numpy as np

    from npgrad import nn, optim
    from npgrad.train.classifier import fit

    x = np.random.default_rng(0).standard_normal((40, 3)).astype(np.float32)
    data = (x, (x[:, 0] > 0).astype(np.int64))
    model = nn.Linear(3, 2)
    fit(model, optim.SGD(model.parameters(), lr=0.1), data, data, 3, 16, seed=0, progress_label="tiny model")
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert bar.startswith("tiny model") and "9/9" in bar and "val_accuracy=" in bar  # 3 epochs of 3 steps


def test_eval_without_config_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "x.safetensors").write_bytes(b"")
    assert cli.main(["eval", str(tmp_path / "x.safetensors")]) == 2
    assert "config.json" in capsys.readouterr().err


def test_overfitting_lesson(quick_lesson):
    result, out, _ = quick_lesson("overfitting")
    small, large = result["models"]["too small (784-2-10)"], result["models"]["large (784-1024-1024-10)"]
    assert large["history"]["loss"][-1] < large["history"]["loss"][0]
    assert large["train_loss_at_best"] < small["train_loss_at_best"]  # capacity
    assert large["test_accuracy"] > small["test_accuracy"] + 0.3
    assert (out / "overfitting.png").exists()


def test_optimizers_lesson(quick_lesson):
    result, out, _ = quick_lesson("optimizers")
    assert len(result["rows"]) == 5
    for row in result["rows"]:
        assert row["final_train_loss"] < row["first_loss"], row["optimizer"]
    assert (out / "optimizers.png").exists()


def test_batch_size_lr_lesson(quick_lesson):
    rows = {(r["batch_size"], r["rule"]): r for r in quick_lesson("batch-size-lr")[0]["rows"]}
    assert rows[256, "scaled + warmup"]["lr"] == 0.08
    assert rows[256, "scaled + warmup"]["val_accuracy"] > rows[256, "fixed lr"]["val_accuracy"] + 0.05  # 73.7 vs 62.7 %


def test_mnist1d_baselines_lesson(quick_lesson):
    measured = quick_lesson("mnist1d-baselines")[0]["test_accuracy"]
    assert 0.2 < measured["logistic regression"] < measured["MLP"]


def test_mnist1d_cnn_lesson_beats_the_mlp(quick_lesson):
    cnn = quick_lesson("mnist1d-cnn")[0]["test_accuracy"]["CNN"]
    mlp = quick_lesson("mnist1d-baselines")[0]["test_accuracy"]["MLP"]
    assert cnn > mlp + 0.1  # translation-equivariant features: 85 % vs 61 % after 10 epochs


def test_sign_language_keras_lesson(quick_lesson):
    data = os.environ.get("NPGRAD_DATA", "")
    if not os.path.exists(os.path.join(data, "sign-language-mnist", "sign_mnist_train.csv.gz")):
        pytest.skip("Sign Language MNIST not found under $NPGRAD_DATA")
    result = quick_lesson("sign-language-mlp")[0]
    assert result["parameters"] == 1_466_136
    assert result["history"]["loss"][-1] < result["history"]["loss"][0]
    assert result["test_accuracy"] > 3 / 24  # well above chance


def test_conv_arithmetic_lesson(quick_lesson):
    result = quick_lesson("conv-arithmetic")[0]
    assert all(row["formula"] == row["conv2d"] for row in result["sizes"])
    assert result["hand_value_0_1"] == result["hand_output"][0][1] == -27
    assert result["matrix_shape"] == [9, 25]
    assert result["conv_as_matrix_error"] < 1e-5 and result["transpose_as_matrix_error"] < 1e-5


def test_feature_maps_lesson(quick_lesson):
    result, out, _ = quick_lesson("feature-maps")
    assert result["val_accuracy"] > 0.6
    assert result["map_shapes"] == [[8, 28, 28], [16, 14, 14]]
    for name in ("filters.png", "feature_maps_conv1.png", "feature_maps_conv2.png"):
        assert (out / name).exists()


def test_transfer_learning_lesson(quick_lesson):
    rows = {r["method"]: r for r in quick_lesson("transfer-learning")[0]["rows"]}
    assert rows["frozen features + new head"]["trainable_parameters"] == 128 * 5 + 5  # only the head
    assert rows["fine-tuning"]["trainable_parameters"] == rows["from scratch"]["trainable_parameters"] > 400_000
    for row in rows.values():
        assert row["test_accuracy"] > 0.3  # chance is 0.2


@pytest.mark.parametrize("lesson,floor", [("mnist-cnn", 0.85), ("fashion-mnist-cnn", 0.6)])
def test_cnn_classifier_lessons(lesson, floor, quick_lesson):
    if lesson.startswith("fashion") and not os.path.isdir(
        os.path.join(os.environ.get("NPGRAD_DATA", ""), "fashion-mnist")
    ):
        pytest.skip("Fashion-MNIST not found under $NPGRAD_DATA")
    result = quick_lesson(lesson)[0]
    assert result["config"]["model"] == "mnist_cnn"
    assert result["history"]["loss"][-1] < result["history"]["loss"][0]
    assert result["test_accuracy"] > floor


def test_mnist_mlp_lesson(quick_lesson):
    result = quick_lesson("mnist-mlp")[0]
    assert result["config"]["model"] == "mlp" and result["config"]["epochs"] == 2  # quick: at most 2 of its 15
    assert result["history"]["loss"][-1] < result["history"]["loss"][0]
    assert result["test_accuracy"] > 0.8  # 83.7 % from 2,000 digits in 2 epochs


def test_architectures_lesson_counts_agree_with_torchvision(quick_lesson):
    result, out, _ = quick_lesson("architectures")
    for row in result["rows"]:
        if "published_params" in row:
            assert row["params"] == row["published_params"], row["model"]
            assert abs(row["macs"] / 1e9 - row["published_gmacs"]) < 0.01, row["model"]
    assert {r["model"] for r in result["rows"]} >= {"lenet5", "mnist_cnn", "resnet18"}
    assert (out / "architectures.png").exists()


def test_resnet_vs_plain_lesson(quick_lesson):
    result, out, _ = quick_lesson("resnet-vs-plain")
    rows = {(r["residual"], r["depth"]): r for r in result["rows"]}
    for depth in (4, 10):
        assert rows[False, depth]["parameters"] == rows[True, depth]["parameters"]  # the skip is free
    for row in rows.values():
        assert row["last_100_steps_loss"] < row["first_loss"]
    assert (out / "resnet_vs_plain.png").exists()
