"""tests/dropin/: scripts written as one writes them for PyTorch (the official examples' and
tutorials' kinds of code), with only their import lines naming npgrad. Each must run to the
end and the loss it prints must drop."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).parent / "dropin"
NUMBER = r"([0-9.]+(?:e-?\d+)?)"

# script: the pattern of the loss it prints (first match vs last), and the files it must write
SCRIPTS = {
    "mnist_cnn.py": (rf"Test set: Average loss: {NUMBER}", []),
    "mnist_rnn.py": (rf"Test set: Average loss: {NUMBER}", []),
    "quickstart.py": (rf"Avg loss: {NUMBER}", ["model.pth"]),
    "vae.py": (rf"====> Test set loss: {NUMBER}", ["results/sample_2.png", "results/reconstruction_2.png"]),
    "custom_function.py": (rf"^\d+ {NUMBER}$", []),
    "nn_tutorial.py": (rf"^\d+ {NUMBER}$", []),
    "time_sequence.py": (rf"^loss: {NUMBER}$", []),
    "word_language_model.py": (rf"(?:valid|test) loss\s+{NUMBER}", []),
    "dcgan.py": (rf"Loss_D: {NUMBER}", ["fake_samples.png", "real_samples.png"]),
    "gpt.py": (rf"val loss {NUMBER}", []),
    "makemore_mlp.py": (rf"^\s*\d+/\s*\d+: {NUMBER}$", []),
    "packed_sequences.py": (rf"^step \d+ loss {NUMBER}$", []),
}


def test_every_script_is_tested():
    assert sorted(p.name for p in FOLDER.glob("*.py")) == sorted(SCRIPTS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_only_the_imports_name_npgrad(name):
    code = (FOLDER / name).read_text()
    other = [
        line for line in code.splitlines() if "npgrad" in line and not line.startswith(("import npgrad", "from npgrad"))
    ]
    assert not other, f"{name}: npgrad outside the import lines: {other}"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_runs_and_its_loss_drops(name, tmp_path):
    pattern, outputs = SCRIPTS[name]
    if any(path.endswith(".png") for path in outputs):
        pytest.importorskip(
            "PIL", reason=f"{name} saves images with save_image, which needs Pillow: pip install -e '.[plot]'"
        )
    # one BLAS thread unless told otherwise: these small GEMMs run 5-15x slower (CPU time) with
    # OpenBLAS's threads spinning on a busy 2-core machine
    env = {"OPENBLAS_NUM_THREADS": "1", **os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "default"}
    done = subprocess.run(
        [sys.executable, str(FOLDER / name)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-3000:]}"
    losses = [float(x) for x in re.findall(pattern, done.stdout, flags=re.MULTILINE)]
    assert len(losses) >= 2, f"{name}: expected at least two losses in its output:\n{done.stdout[-2000:]}"
    assert losses[-1] < losses[0], f"{name}: the loss did not drop: {losses}"
    for output in outputs:
        assert (tmp_path / output).stat().st_size > 0, output
    if name == "mnist_rnn.py":  # Dropout2d on (batch, features) warns as in PyTorch
        assert "Received a 2-D input to dropout2d" in done.stderr
