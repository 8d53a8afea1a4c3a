"""The `npgrad` command under a new user's mistakes: one line naming the problem, exit status 2,
never a traceback; and `train --help` shows the defaults and the models."""

import pytest

from npgrad import cli
from npgrad.models import MODELS


def run(argv, capsys):
    """(exit status, stderr lines) of `npgrad ARGV`, whether argparse or the command stops it."""
    try:
        status = cli.main(argv)
    except SystemExit as stop:
        status = stop.code
    return status, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(
    "option, value, kind",
    [
        ("--epochs", "0", "positive integer"),
        ("--epochs", "-1", "positive integer"),
        ("--epochs", "two", "positive integer"),
        ("--batch-size", "0", "positive integer"),
        ("--lr", "-0.1", "positive number"),
        ("--lr", "0", "positive number"),
    ],
)
def test_train_refuses_non_positive_numbers_in_one_line(option, value, kind, capsys):
    status, err = run(["train", option, value], capsys)
    assert status == 2 and len(err) == 1
    assert f"argument {option}: expected a {kind}, got '{value}'" in err[0]


def test_train_refuses_an_unknown_model_in_one_line(capsys):
    status, err = run(["train", "--model", "resnet7"], capsys)
    assert status == 2 and len(err) == 1 and "'resnet7'" in err[0] and "mnist_cnn" in err[0]


def test_eval_names_the_missing_checkpoint(tmp_path, capsys):
    missing = tmp_path / "runs" / "best.safetensors"
    status, err = run(["eval", str(missing)], capsys)
    assert status == 2 and err == [f"npgrad: checkpoint {missing} not found"]


def test_eval_of_a_folder_says_it_wants_a_file(tmp_path, capsys):
    status, err = run(["eval", str(tmp_path)], capsys)
    assert status == 2 and len(err) == 1
    assert err[0].startswith(f"npgrad: {tmp_path} is a folder; expected a checkpoint file")


@pytest.mark.parametrize("argv", [["train", "--quick"], ["run", "perceptron", "--quick"]])
def test_out_that_is_a_file_is_refused_before_any_work(argv, tmp_path, capsys):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("")
    status, err = run(argv + ["--out", str(not_a_folder)], capsys)
    assert status == 2 and err == [f"npgrad: --out {not_a_folder} is a file; expected a folder for the results"]


def test_unknown_lesson_is_one_line(capsys):
    status, err = run(["run", "no-such-lesson"], capsys)
    assert status == 2 and len(err) == 1 and "no lesson named 'no-such-lesson'" in err[0]


def test_train_help_shows_defaults_and_models(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for default in (
        "(default: mnist)",
        "(default: mnist_cnn)",
        "(default: 3)",
        "(default: 128)",
        "(default: 0.001)",
        "(default: adam)",
        "(default: 0)",
    ):
        assert default in text, default
    assert all(name in text for name in MODELS)


def test_keras_csv_logger_keeps_keras_epoch_numbers(tmp_path):
    import numpy as np
    from npgrad.keras import Dense, Input, Model
    from npgrad.keras.callbacks import CSVLogger

    inputs = Input(shape=(3,))
    model = Model(inputs=inputs, outputs=Dense(1)(inputs))
    model.compile(loss="mse", optimizer="sgd")
    x = np.zeros((8, 3), np.float32)
    model.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[CSVLogger(str(tmp_path / "log.csv"))])
    assert [line.split(",")[0] for line in (tmp_path / "log.csv").read_text().splitlines()] == ["epoch", "0", "1"]
