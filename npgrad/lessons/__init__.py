"""Lessons: one runnable script per curriculum topic, found by looking in this folder.

Each module here is one lesson, named after its file (`gan_fashion_mnist.py` is the lesson
`gan-fashion-mnist`). A lesson's docstring opens with one line saying what it shows; its
`run(out_dir, quick=False) -> dict` prints its table, writes its figures into out_dir and
returns its results; its READ_NEXT names the library and textbook code it exercises; and it
ends with `if __name__ == "__main__": main(run)`. So it runs as

    python lessons/<name>.py [--quick] [--out DIR]     # from a clone
    npgrad run <name> [--quick] [--out DIR]            # from an install

and its code, with absolute imports only, can be pasted into a notebook and called as
`run("runs/<name>")`. `quick=True` is the small version the tests run.
"""

import argparse
import importlib
import json
import os
import pkgutil
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Lesson:
    name: str
    summary: str
    module: ModuleType

    def run(self, out_dir: str, quick: bool = False) -> dict:
        return self.module.run(out_dir, quick=quick)


def lesson_names() -> list[str]:
    """Every lesson in this folder, by name (its file name with '-' for '_')."""
    return sorted(module.name.replace("_", "-") for module in pkgutil.iter_modules(__path__))


def get(name: str) -> Lesson:
    """The lesson `name` ('gan-fashion-mnist'; 'gan_fashion_mnist' works too)."""
    name = name.replace("_", "-")
    if name not in lesson_names():
        raise KeyError(f"no lesson named {name!r}; `npgrad list` shows them: {', '.join(lesson_names())}")
    return lesson_of(importlib.import_module(f"{__name__}.{name.replace('-', '_')}"))


def lesson_of(module: ModuleType) -> Lesson:
    name = module.__name__.rsplit(".", 1)[-1].replace("_", "-")
    if not callable(getattr(module, "run", None)) or not module.__doc__:
        raise TypeError(f"lesson {name} needs a docstring and a run(out_dir, quick=False) function")
    return Lesson(name, module.__doc__.strip().split("\n", 1)[0], module)


def all_lessons() -> dict[str, Lesson]:
    return {name: get(name) for name in lesson_names()}


def run_and_save(run: Callable, name: str, out_dir: str, quick: bool = False, read_next: str | None = None) -> dict:
    """Run a lesson into out_dir, keep its results there as result.json, and say what to read next."""
    os.makedirs(out_dir, exist_ok=True)
    results = run(out_dir, quick=quick)
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump(results, f, indent=2, default=_plain)
    print(f"\nresults and figures written to {out_dir}/")
    if read_next:
        print(f"\nRead next:\n{read_next.strip()}")
    return results


def main(run: Callable, argv: list[str] | None = None) -> dict:
    """The command line of a lesson script: python lessons/<name>.py [--quick] [--out DIR]."""
    module = sys.modules[run.__module__]
    name = os.path.splitext(os.path.basename(module.__file__))[0].replace("_", "-")
    parser = argparse.ArgumentParser(prog=f"{name}.py", description=module.__doc__.strip().split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="the small version (seconds), as the tests run it")
    parser.add_argument("--out", default=os.path.join("runs", name), help="folder for results and figures")
    args = parser.parse_args(argv)
    return run_and_save(run, name, args.out, args.quick, getattr(module, "READ_NEXT", None))


def _plain(value: Any) -> Any:
    """What json cannot write by itself: NumPy arrays and scalars as lists and numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
