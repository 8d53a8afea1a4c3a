"""The same command gives the same numbers run after run: a second run of a few quick lessons and
of `npgrad train --quick`, each in a fresh process, must reproduce the first bit for bit (wall
times aside). Across BLAS kernel sets and thread counts the numbers may differ: see
docs/reproducibility.md."""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import LESSONS_FOLDER

WALL_TIME = re.compile(r"seconds|ms_per_step")  # result keys that hold a measured time


def without_wall_times(value, out_dir):
    """The results with the measured times left out and the output folder written as OUT."""
    if isinstance(value, dict):
        return {k: without_wall_times(v, out_dir) for k, v in value.items() if not WALL_TIME.search(k)}
    if isinstance(value, list):
        return [without_wall_times(v, out_dir) for v in value]
    if isinstance(value, str):
        return value.replace(str(out_dir), "OUT")
    return value


def run_once(argv, out_dir):
    done = subprocess.run([sys.executable, *argv, "--out", str(out_dir)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return without_wall_times(json.loads((out_dir / "result.json").read_text()), out_dir)


@pytest.mark.parametrize("name, data", [("feature-maps", None), ("char-rnn", "tinyshakespeare/input.txt")])
def test_a_lesson_gives_the_same_numbers_in_a_second_process(name, data, quick_lesson, tmp_path):
    if data and not os.path.exists(os.path.join(os.environ.get("NPGRAD_DATA", ""), data)):
        pytest.skip(f"{data} not found under $NPGRAD_DATA")
    first, first_out, _ = quick_lesson(name)
    script = os.path.join(LESSONS_FOLDER, name.replace("-", "_") + ".py")
    second = run_once([script, "--quick"], tmp_path)
    assert second == without_wall_times(first, first_out)


def test_npgrad_train_gives_the_same_numbers_in_a_second_process(tmp_path):
    pytest.importorskip("matplotlib")
    command = ["-m", "npgrad.cli", "train", "--quick"]
    first = run_once(command, tmp_path / "first")
    second = run_once(command, tmp_path / "second")
    assert first["history"]["loss"] and second == first


def test_a_trained_wordpiece_vocabulary_is_the_same_every_time():
    """tokenizers' trainer breaks ties between equally frequent merges by ids it hands out in
    hash-map order; on this text about half the trainings differed from the first before
    WordPieceTokenizer.train fixed those ids."""
    pytest.importorskip("tokenizers")
    from npgrad.text import WordPieceTokenizer

    data = os.environ.get("NPGRAD_DATA") or os.path.join(os.path.dirname(LESSONS_FOLDER), "..", "shared", "data")
    path = os.path.join(data, "wikitext-2", "wiki.valid.tokens")
    if not os.path.exists(path):
        pytest.skip(f"{path} not found")
    with open(path, encoding="utf-8") as file:
        lines = [line for line in file if line.strip()]
    first, *others = [WordPieceTokenizer.train(lines, vocab_size=3000).tokens for _ in range(3)]
    assert all(tokens == first for tokens in others)
