import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global random state."""
    import npgrad

    npgrad.manual_seed(0)


LESSONS_FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lessons")


@pytest.fixture(scope="session")
def quick_lesson(tmp_path_factory):
    """quick_lesson(name) -> (results read from result.json, output folder, printed text): the
    lesson run as a student runs it from a clone, `python lessons/<name>.py --quick --out DIR`,
    once per test session however many tests look at it."""
    import json
    import subprocess
    import sys

    pytest.importorskip("matplotlib", reason="the lessons draw figures with matplotlib: pip install -e '.[all]'")
    runs = {}

    def run(name):
        if name not in runs:
            out = tmp_path_factory.mktemp(name)
            script = os.path.join(LESSONS_FOLDER, name.replace("-", "_") + ".py")
            done = subprocess.run(
                [sys.executable, script, "--quick", "--out", str(out)], capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"{script} --quick failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
            runs[name] = (json.loads((out / "result.json").read_text()), out, done.stdout)
        return runs[name]

    return run
