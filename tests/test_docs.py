"""The documentation site (docs/, mkdocs.yml): every Python example on its pages runs, the Korean
pages keep the English pages' code, figures and numbers, and `mkdocs build --strict` passes.

A ```python block preceded by the line `<!-- no-run -->` is not run (for examples that need a
data set or a long run). The blocks of one page run in order in one namespace, as a reader
would run them, in a temporary working directory.
"""

import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"(<!-- no-run -->[ \t]*\n)?```python\n(.*?)```", re.S)


def python_blocks(text):
    """The ```python blocks of a page in order, without those marked <!-- no-run -->."""
    return [code for marker, code in BLOCK.findall(text) if not marker]


PAGES = sorted(p for p in DOCS.rglob("*.md") if python_blocks(p.read_text(encoding="utf-8")))
KOREAN_LESSONS = sorted((DOCS / "ko" / "lessons").glob("*.md"))


def test_a_no_run_marker_skips_only_the_block_right_after_it():
    page = "```python\nx = 1\n```\n<!-- no-run -->\n```python\nneeds_data()\n```\n\n```python\ny = 2\n```\n"
    assert python_blocks(page) == ["x = 1\n", "y = 2\n"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_python_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    namespace = {"__name__": "__main__"}
    for index, code in enumerate(python_blocks(page.read_text(encoding="utf-8"))):
        exec(compile(code, f"{page.relative_to(ROOT)} python block {index}", "exec"), namespace)


def code_figures_and_result_numbers(text):
    """What a translation must not change: code blocks, image paths, and the numbers of the
    results section (the second-level section after the command and figures)."""
    code = re.findall(r"```.*?```", text, re.S)
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    results = text.split("\n## ")[1].split("\n", 1)[1]
    return code, figures, sorted(re.findall(r"\d+(?:[.,]\d+)*", results))  # word order differs between languages


def test_there_is_a_korean_page_for_every_lesson_of_the_first_half():
    names = {p.stem for p in KOREAN_LESSONS}
    assert {
        "perceptron",
        "vanishing-gradients",
        "conv-arithmetic",
        "resnet-vs-plain",
        "rnn-modes",
        "long-dependencies",
    } <= names
    assert names <= {p.stem for p in (DOCS / "lessons").glob("*.md")}


@pytest.mark.parametrize("page", KOREAN_LESSONS, ids=lambda p: p.stem)
def test_korean_lesson_keeps_the_english_code_figures_and_numbers(page):
    english = DOCS / "lessons" / page.name
    ours = code_figures_and_result_numbers(page.read_text(encoding="utf-8"))
    theirs = code_figures_and_result_numbers(english.read_text(encoding="utf-8"))
    assert ours[0] == theirs[0], "code blocks differ"
    assert [f.replace("../../", "../") for f in ours[1]] == theirs[1], "figures differ"
    assert ours[2] == theirs[2], "numbers in the results differ"


def _mkdocs_missing():
    needed = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
    return [
        name
        for name in needed
        if importlib.util.find_spec(name.split(".")[0]) is None
        or (name.count(".") and importlib.util.find_spec(name) is None)
    ]


@pytest.mark.skipif(
    bool(_mkdocs_missing()),
    reason="mkdocs, mkdocs-material or mkdocstrings[python] is not "
    "installed (pip install -e '.[docs]'); the site is not built",
)
def test_mkdocs_build_strict(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "site" / "ko" / "curriculum" / "index.html").exists()
