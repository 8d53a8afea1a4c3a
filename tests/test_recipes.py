"""Smoke tests of the lessons (quick versions) and of the command line."""

import json

import pytest

from npgrad import cli, lessons


def test_perceptron_lesson(tmp_path, capsys):
    needs_figures()
    assert cli.main(["run", "perceptron", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    by_key = {(r["gate"], r["model"]): r for r in result["rows"]}
    for gate in ("AND", "OR"):
        for model in ("perceptron", "logistic", "MLP 2-4-1"):
            assert by_key[gate, model]["accuracy"] == 1.0
    assert by_key["XOR", "MLP 2-4-1"]["accuracy"] == 1.0
    for model in ("perceptron", "logistic"):
        assert by_key["XOR", model]["best_of_restarts"] <= 0.75
    assert result["best_linear_xor_accuracy_on_grid"] == 0.75
    for figure in ("decision_boundaries.png", "xor_loss.png"):
        assert (tmp_path / figure).stat().st_size > 10_000
    assert "XOR" in capsys.readouterr().out


def needs_figures():
    """The lessons draw their figures with matplotlib, an optional dependency."""
    pytest.importorskip("matplotlib", reason="the lessons draw figures with matplotlib: pip install -e '.[all]'")


def _run_quick(name, tmp_path):
    needs_figures()
    assert cli.main(["run", name, "--quick", "--out", str(tmp_path)]) == 0
    return json.loads((tmp_path / "result.json").read_text())


def test_init_activations_lesson(tmp_path):
    rows = {(r["activation"], r["init"]): r for r in _run_quick("init-activations", tmp_path)["rows"]}
    assert rows["tanh", "N(0,1)"]["saturated_last_layer"] > 0.5  # saturated
    assert rows["tanh", "std 0.01"]["std_per_layer"][-1] < 1e-3  # vanished
    assert rows["relu", "N(0,1)"]["std_per_layer"][-1] > 1e3  # exploded
    assert 0.3 < rows["relu", "He"]["std_per_layer"][-1] < 3  # kept
    assert len(list(tmp_path.glob("activations_*.png"))) == 3


def test_vanishing_gradients_lesson(tmp_path):
    result = _run_quick("vanishing-gradients", tmp_path)
    assert result["first_to_last_ratio"]["sigmoid"] < 1e-3
    assert result["first_to_last_ratio"]["relu"] > 1e-2
    assert result["final_train_loss"]["relu"] < 2.0 < result["final_train_loss"]["sigmoid"]
    assert (tmp_path / "grad_norms.png").exists() and (tmp_path / "loss.png").exists()


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


def test_eval_without_config_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "x.safetensors").write_bytes(b"")
    assert cli.main(["eval", str(tmp_path / "x.safetensors")]) == 2
    assert "config.json" in capsys.readouterr().err


def test_overfitting_lesson(tmp_path):
    models = _run_quick("overfitting", tmp_path)["models"]
    small, large = models["too small (784-2-10)"], models["large (784-1024-1024-10)"]
    assert large["history"]["loss"][-1] < large["history"]["loss"][0]
    assert large["train_loss_at_best"] < small["train_loss_at_best"]  # capacity
    assert large["test_accuracy"] > small["test_accuracy"] + 0.3
    assert (tmp_path / "overfitting.png").exists()


def test_optimizers_lesson(tmp_path):
    rows = _run_quick("optimizers", tmp_path)["rows"]
    assert len(rows) == 5
    for row in rows:
        assert row["final_train_loss"] < row["first_loss"], row["optimizer"]
    assert (tmp_path / "optimizers.png").exists()


def test_batch_size_lr_lesson(tmp_path):
    rows = {(r["batch_size"], r["rule"]): r for r in _run_quick("batch-size-lr", tmp_path)["rows"]}
    assert rows[256, "scaled + warmup"]["lr"] == 0.08
    assert rows[256, "scaled + warmup"]["val_accuracy"] > rows[256, "fixed lr"]["val_accuracy"] + 0.05  # 73.7 vs 62.7 %


def test_mnist1d_baselines_lesson(tmp_path):
    measured = _run_quick("mnist1d-baselines", tmp_path)["test_accuracy"]
    assert 0.2 < measured["logistic regression"] < measured["MLP"]


def test_mnist1d_cnn_lesson_beats_the_mlp(tmp_path):
    cnn = _run_quick("mnist1d-cnn", tmp_path / "cnn")["test_accuracy"]["CNN"]
    mlp = _run_quick("mnist1d-baselines", tmp_path / "mlp")["test_accuracy"]["MLP"]
    assert cnn > mlp + 0.1  # translation-equivariant features: 85 % vs 61 % after 10 epochs


def test_sign_language_keras_lesson(tmp_path):
    import os

    data = os.environ.get("NPGRAD_DATA", "")
    if not os.path.exists(os.path.join(data, "sign-language-mnist", "sign_mnist_train.csv.gz")):
        pytest.skip("Sign Language MNIST not found under $NPGRAD_DATA")
    result = _run_quick("sign-language-mlp", tmp_path)
    assert result["parameters"] == 1_466_136
    assert result["history"]["loss"][-1] < result["history"]["loss"][0]
    assert result["test_accuracy"] > 3 / 24  # well above chance


def test_conv_arithmetic_lesson(tmp_path):
    result = _run_quick("conv-arithmetic", tmp_path)
    assert all(row["formula"] == row["conv2d"] for row in result["sizes"])
    assert result["hand_value_0_1"] == result["hand_output"][0][1] == -27
    assert result["matrix_shape"] == [9, 25]
    assert result["conv_as_matrix_error"] < 1e-5 and result["transpose_as_matrix_error"] < 1e-5


def test_feature_maps_lesson(tmp_path):
    result = _run_quick("feature-maps", tmp_path)
    assert result["val_accuracy"] > 0.6
    assert result["map_shapes"] == [[8, 28, 28], [16, 14, 14]]
    for name in ("filters.png", "feature_maps_conv1.png", "feature_maps_conv2.png"):
        assert (tmp_path / name).exists()


def test_transfer_learning_lesson(tmp_path):
    rows = {r["method"]: r for r in _run_quick("transfer-learning", tmp_path)["rows"]}
    assert rows["frozen features + new head"]["trainable_parameters"] == 128 * 5 + 5  # only the head
    assert rows["fine-tuning"]["trainable_parameters"] == rows["from scratch"]["trainable_parameters"] > 400_000
    for row in rows.values():
        assert row["test_accuracy"] > 0.3  # chance is 0.2


@pytest.mark.parametrize("lesson,floor", [("mnist-cnn", 0.85), ("fashion-mnist-cnn", 0.6)])
def test_cnn_classifier_lessons(lesson, floor, tmp_path):
    import os

    if lesson.startswith("fashion") and not os.path.isdir(
        os.path.join(os.environ.get("NPGRAD_DATA", ""), "fashion-mnist")
    ):
        pytest.skip("Fashion-MNIST not found under $NPGRAD_DATA")
    result = _run_quick(lesson, tmp_path)
    assert result["config"]["model"] == "mnist_cnn"
    assert result["history"]["loss"][-1] < result["history"]["loss"][0]
    assert result["test_accuracy"] > floor


def test_architectures_lesson_counts_agree_with_torchvision(tmp_path):
    rows = _run_quick("architectures", tmp_path)["rows"]
    for row in rows:
        if "published_params" in row:
            assert row["params"] == row["published_params"], row["model"]
            assert abs(row["macs"] / 1e9 - row["published_gmacs"]) < 0.01, row["model"]
    assert {r["model"] for r in rows} >= {"lenet5", "mnist_cnn", "resnet18"}
    assert (tmp_path / "architectures.png").exists()


def test_resnet_vs_plain_lesson(tmp_path):
    rows = {(r["residual"], r["depth"]): r for r in _run_quick("resnet-vs-plain", tmp_path)["rows"]}
    for depth in (4, 10):
        assert rows[False, depth]["parameters"] == rows[True, depth]["parameters"]  # the skip is free
    for row in rows.values():
        assert row["last_100_steps_loss"] < row["first_loss"]
    assert (tmp_path / "resnet_vs_plain.png").exists()
