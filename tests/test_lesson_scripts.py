"""Every lesson is a standalone script: found without a list, runnable from a clone with --quick."""

import ast
import os
import sys

import pytest

from npgrad import cli, lessons
from conftest import LESSONS_FOLDER

NAMES = lessons.lesson_names()


def lesson_source(name):
    with open(os.path.join(LESSONS_FOLDER, name.replace("-", "_") + ".py")) as f:
        return f.read()


def test_the_lessons_folder_of_a_clone_is_the_package_folder():
    assert os.path.samefile(LESSONS_FOLDER, os.path.dirname(lessons.__file__))
    assert len(NAMES) >= 45


@pytest.mark.parametrize("name", NAMES)
def test_a_lesson_is_a_script_with_absolute_imports(name):
    tree = ast.parse(lesson_source(name))
    lesson = lessons.get(name)
    assert lesson.summary and not lesson.summary.startswith("Lesson")
    relative = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level]
    assert not relative, f"{name}: relative imports on lines {relative}; a student could not paste it"
    assert isinstance(getattr(lesson.module, "READ_NEXT", None), str), f"{name} says nothing to read next"
    last = tree.body[-1]
    assert isinstance(last, ast.If) and ast.unparse(last.test) == "__name__ == '__main__'", name


def test_no_lesson_file_hides_a_standard_library_module():
    # `python lessons/x.py` puts lessons/ first on sys.path, where a lesson called e.g. `code.py` would win
    assert not set(name.replace("-", "_") for name in NAMES) & sys.stdlib_module_names


def test_npgrad_list_finds_every_lesson(capsys):
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out.split("\n")
    assert sorted(line.split()[0] for line in listed if line.strip()) == NAMES


def test_unknown_lesson_is_a_clear_error(capsys):
    assert cli.main(["run", "no-such-lesson"]) == 2
    assert "npgrad list" in capsys.readouterr().err


@pytest.mark.parametrize("name", NAMES)
def test_lesson_runs_from_a_clone_with_quick(name, quick_lesson):
    results, out, printed = quick_lesson(name)
    assert results and "Read next:" in printed
    assert (out / "result.json").stat().st_size > 2
