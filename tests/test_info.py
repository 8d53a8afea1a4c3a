"""`npgrad info`: what sets the speed and the last digits on this machine, read from the
libraries themselves."""

import numpy as np
import pytest

from npgrad import cli
from npgrad.backends import numba as numba_backend
from npgrad.utils import environment


def info_lines(capsys):
    assert cli.main(["info"]) == 0
    return capsys.readouterr().out.splitlines()


def test_info_names_numpy_the_data_folder_and_the_settings(tmp_path, monkeypatch, capsys):
    for folder in ("sst2", "mnist"):
        (tmp_path / folder).mkdir()
    (tmp_path / "notes.txt").write_text("not a data set")
    monkeypatch.setenv("NPGRAD_DATA", str(tmp_path))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    lines = info_lines(capsys)
    assert any(line.startswith(f"NumPy {np.__version__}: SIMD ") for line in lines)
    assert f"data folder (NPGRAD_DATA): {tmp_path}, holding mnist, sst2" in lines
    settings = next(line for line in lines if line.startswith("settings: "))
    assert f"NPGRAD_DATA={tmp_path}" in settings.split() and "OPENBLAS_NUM_THREADS=1" in settings.split()


def test_info_says_when_the_data_folder_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NPGRAD_DATA", str(tmp_path / "nowhere"))
    assert f"data folder (NPGRAD_DATA): {tmp_path / 'nowhere'}, empty or missing" in info_lines(capsys)


def test_info_reports_the_blas_kernels_and_threads(capsys):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    lines = [line for line in info_lines(capsys) if line.startswith("BLAS: ")]
    libraries = [lib for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
    assert len(lines) == len(libraries) > 0
    for line, lib in zip(lines, libraries):
        assert f"{lib['architecture']}" in line and f"{lib['num_threads']} threads" in line


@pytest.mark.parametrize("enabled", [True, False])
def test_info_says_whether_the_compiled_loops_run(enabled, monkeypatch, capsys):
    monkeypatch.setattr(numba_backend, "enabled", enabled)
    line = next(line for line in info_lines(capsys) if line.startswith("compiled loops: "))
    if not numba_backend.is_available():
        assert "numba is not installed" in line
    else:
        assert line.startswith("compiled loops: on" if enabled else "compiled loops: off (NPGRAD_NUMBA=0)")


@pytest.mark.parametrize(
    "variables, threads",
    [({"OPENBLAS_NUM_THREADS": "3", "OMP_NUM_THREADS": "5"}, 3), ({"OMP_NUM_THREADS": "5"}, 5), ({}, None)],
)
def test_blas_threads_reads_the_variables_openblas_reads(monkeypatch, variables, threads):
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert environment.blas_threads() == (threads or environment.usable_cores())


def test_blas_threads_is_what_openblas_runs_on():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    openblas = [lib for lib in threadpoolctl.threadpool_info() if lib["internal_api"] == "openblas"]
    if not openblas:
        pytest.skip("NumPy is not linked to OpenBLAS here")
    assert {lib["num_threads"] for lib in openblas} == {environment.blas_threads()}
