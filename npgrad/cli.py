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
    from .recipes.classifier import DEFAULTS, train_classifier
    options = {k: v for k, v in vars(args).items() if k in DEFAULTS and v is not None}
    name = f"{options.get('dataset', DEFAULTS['dataset'])}-{options.get('model', DEFAULTS['model'])}"
    out_dir = args.out or os.path.join("runs", name)
    result = train_classifier(out_dir, quick=args.quick, **options)
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump(result, f, indent=2, default=str)
    print(f"run written to {out_dir}/ (checkpoints, metrics.csv, curves.png, result.json)")
    return 0


def cmd_eval(args):
    from .recipes.classifier import evaluate_checkpoint
    evaluate_checkpoint(args.checkpoint)
    return 0


def cmd_fid(args):
    from .metrics.extractor import fid_between
    fid_between(args.a, args.b, args.extractor)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="npgrad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the lessons").set_defaults(handler=cmd_list)
    run = sub.add_parser("run", help="run a lesson: npgrad run perceptron")
    run.add_argument("name")
    run.add_argument("--out", help="output folder (default runs/NAME)")
    run.add_argument("--quick", action="store_true", help="a small, fast version")
    run.set_defaults(handler=cmd_run)
    train = sub.add_parser("train", help="train an image classifier (default: a small CNN on MNIST, 3 epochs)")
    train.add_argument("--dataset", choices=["mnist", "fashion-mnist", "sign-language-mnist"])
    train.add_argument("--model", help="a zoo model name (npgrad.models.MODELS)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr", type=float)
    train.add_argument("--optimizer", choices=["adam", "adamw", "sgd", "rmsprop", "adagrad"])
    train.add_argument("--seed", type=int)
    train.add_argument("--out", help="output folder (default runs/DATASET-MODEL)")
    train.add_argument("--quick", action="store_true", help="a small, fast version")
    train.set_defaults(handler=cmd_train)
    evaluate = sub.add_parser("eval", help="test accuracy of a checkpoint written by `npgrad train`")
    evaluate.add_argument("checkpoint")
    evaluate.set_defaults(handler=cmd_eval)
    fid = sub.add_parser("fid", help="FID between two sets of 28x28 images: PNG folders, .npz files or run folders")
    fid.add_argument("a")
    fid.add_argument("b")
    fid.add_argument("--extractor", choices=["mnist", "fashion-mnist"], default="mnist",
                     help="the feature extractor (a small CNN shipped with npgrad; default mnist)")
    fid.set_defaults(handler=cmd_fid)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (KeyError, ValueError, FileNotFoundError) as error:
        print(f"npgrad: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
