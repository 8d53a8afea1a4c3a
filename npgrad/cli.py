"""The `npgrad` command: list and run lessons, and train the main model."""
import argparse
import json
import os
import sys


def _run_recipe(name, out, quick):
    from . import recipes
    lesson = recipes.get(name)
    out_dir = out or os.path.join("runs", name)
    os.makedirs(out_dir, exist_ok=True)
    results = lesson.run(out_dir, quick=quick)
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    print(f"\nresults and figures written to {out_dir}/")
    return 0


def cmd_list(args):
    from . import recipes
    for name, lesson in sorted(recipes.all_recipes().items()):
        print(f"  {name:<22} {lesson.summary}")
    return 0


def cmd_run(args):
    return _run_recipe(args.name, args.out, args.quick)


def cmd_train(args):
    # The main job: for now the perceptron/XOR lesson (the MNIST trainer replaces it).
    return _run_recipe("perceptron", args.out, args.quick)


def build_parser():
    parser = argparse.ArgumentParser(prog="npgrad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the lessons").set_defaults(handler=cmd_list)
    run = sub.add_parser("run", help="run a lesson: npgrad run perceptron")
    run.add_argument("name")
    run.add_argument("--out", help="output folder (default runs/NAME)")
    run.add_argument("--quick", action="store_true", help="a small, fast version")
    run.set_defaults(handler=cmd_run)
    train = sub.add_parser("train", help="train the main model")
    train.add_argument("--out", help="output folder")
    train.add_argument("--quick", action="store_true", help="a small, fast version")
    train.set_defaults(handler=cmd_train)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyError as error:
        print(f"npgrad: {error.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
