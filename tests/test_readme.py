"""The README's Python examples run as written."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write runs/...
    exec(compile(BLOCKS[index], f"README.md python block {index}", "exec"), {})


def test_readme_has_the_two_commands():
    text = README.read_text()
    assert 'pip install ".[all]" && npgrad train' in text
    assert 'pip install -e ".[test]" && pytest' in text


def test_ci_runs_the_readme_test_command():
    ci = (README.parent / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" && pytest' in ci.splitlines()
