"""The `npgrad` command: list and run lessons, and train the main model."""

import argparse
import contextlib
import io
import json
import os
import sys


def cmd_list(args):
    from . import lessons

    for name, lesson in lessons.all_lessons().items():
        print(f"  {name:<26} {lesson.summary}")
    return 0


def cmd_run(args):
    from . import lessons

    try:
        lesson = lessons.get(args.name)
    except KeyError as error:
        raise UserError(error.args[0]) from None
    out_dir = _output_folder(args.out, os.path.join("runs", lesson.name))
    read_next = getattr(lesson.module, "READ_NEXT", None)
    lessons.run_and_save(lesson.module.run, lesson.name, out_dir, args.quick, read_next)
    return 0


def cmd_train(args):
    from . import distributed
    from .distributed import launched_world_size
    from .train.distributed import is_main_process

    from .train.classifier import DEFAULTS, train_classifier

    options = {k: v for k, v in vars(args).items() if k in DEFAULTS and v is not None}
    out_dir = _output_folder(args.out, os.path.join("runs", f"{options['dataset']}-{options['model']}"))
    size = launched_world_size()
    if args.nproc > 1 and size == 1:  # start the workers: this same command
        from .distributed.launch import launch_local

        return launch_local(args.nproc, ["-m", "npgrad.cli", *args.argv])
    if size > 1:  # started by --nproc, or one of `mpiexec -n N npgrad train ...`
        distributed.init_process_group()
    main_process = is_main_process()
    if main_process and size > 1:
        batch = options["batch_size"]
        print(
            f"{size} processes, each training on {batch // size} images of every batch of {batch} (--nproc 1: one)",
            flush=True,
        )
    quiet = contextlib.nullcontext() if main_process else contextlib.redirect_stdout(io.StringIO())
    with distributed.abort_on_error(), quiet:
        result = train_classifier(out_dir, quick=args.quick, **options)
    if main_process:
        with open(os.path.join(out_dir, "result.json"), "w") as f:
            json.dump(result, f, indent=2, default=str)
        print(f"run written to {out_dir}/ (checkpoints, metrics.csv, curves.png, result.json)")
    return 0


def cmd_eval(args):
    from .train.classifier import evaluate_checkpoint

    if os.path.isdir(args.checkpoint):
        raise UserError(
            f"{args.checkpoint} is a folder; expected a checkpoint file, e.g. "
            f"{os.path.join(args.checkpoint, 'best.safetensors')}"
        )
    if not os.path.exists(args.checkpoint):
        raise UserError(f"checkpoint {args.checkpoint} not found")
    evaluate_checkpoint(args.checkpoint)
    return 0


def cmd_fid(args):
    from .metrics.extractor import fid_between

    fid_between(args.a, args.b, args.extractor)
    return 0


class UserError(Exception):
    """A mistake in the command line: printed as one line, without a traceback."""


def _output_folder(out, default):
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"--out {out} is a file; expected a folder for the results")
    return out or default


def _positive(kind):
    """An argparse type: a number of `kind` (int or float) above zero."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0:
            raise argparse.ArgumentTypeError(
                f"expected a positive {'integer' if kind is int else 'number'}, got {text!r}"
            )
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (argparse prints the usage above them)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_train_options(train):
    from .models import MODELS
    from .train.classifier import DATASETS, DEFAULTS, OPTIMIZERS

    default = " (default: %(default)s)"
    train.add_argument(
        "--dataset", choices=sorted(DATASETS), default=DEFAULTS["dataset"], help="the data set" + default
    )
    train.add_argument(
        "--model",
        choices=sorted(MODELS),
        default=DEFAULTS["model"],
        metavar="MODEL",
        help="a zoo model: " + ", ".join(sorted(MODELS)) + default,
    )
    train.add_argument(
        "--epochs", type=_positive(int), default=DEFAULTS["epochs"], help="passes over the training set" + default
    )
    train.add_argument(
        "--batch-size", type=_positive(int), default=DEFAULTS["batch_size"], help="images per step" + default
    )
    train.add_argument(
        "--lr", type=_positive(float), default=DEFAULTS["lr"], help="learning rate, annealed to 0 on a cosine" + default
    )
    train.add_argument(
        "--optimizer", choices=sorted(OPTIMIZERS), default=DEFAULTS["optimizer"], help="the update rule" + default
    )
    train.add_argument(
        "--seed", type=int, default=DEFAULTS["seed"], help="seeds the weights, the split and the batch order" + default
    )
    train.add_argument("--out", help="output folder (default: runs/DATASET-MODEL)")
    train.add_argument("--quick", action="store_true", help="a small, fast version")
    train.add_argument(
        "--nproc",
        type=_positive(int),
        default=2,
        help="data-parallel processes on this machine: each trains on its share of every batch and "
        "their gradients are averaged through shared memory; 1 trains in this process "
        "(across machines: mpiexec -n N npgrad train)" + default,
    )


def cmd_info(args):
    from .utils.environment import describe

    print(describe())
    return 0


def build_parser():
    parser = _Parser(prog="npgrad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the lessons").set_defaults(handler=cmd_list)
    run = sub.add_parser("run", help="run a lesson: npgrad run perceptron")
    run.add_argument("name")
    run.add_argument("--out", help="output folder (default runs/NAME)")
    run.add_argument("--quick", action="store_true", help="a small, fast version")
    run.set_defaults(handler=cmd_run)
    train = sub.add_parser("train", help="train an image classifier (default: a small CNN on MNIST, 3 epochs)")
    _add_train_options(train)
    train.set_defaults(handler=cmd_train)
    evaluate = sub.add_parser("eval", help="test accuracy of a checkpoint written by `npgrad train`")
    evaluate.add_argument("checkpoint")
    evaluate.set_defaults(handler=cmd_eval)
    fid = sub.add_parser("fid", help="FID between two sets of 28x28 images: PNG folders, .npz files or run folders")
    fid.add_argument("a")
    fid.add_argument("b")
    fid.add_argument(
        "--extractor",
        choices=["mnist", "fashion-mnist"],
        default="mnist",
        help="the feature extractor (a small CNN shipped with npgrad; default mnist)",
    )
    fid.set_defaults(handler=cmd_fid)
    info = sub.add_parser(
        "info", help="what sets the speed and the last digits here: NumPy, BLAS kernels, threads, loops"
    )
    info.set_defaults(handler=cmd_info)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)  # what --nproc starts again
    try:
        return args.handler(args)
    except (UserError, ValueError) as error:
        print(f"npgrad: {error.args[0] if error.args else type(error).__name__}", file=sys.stderr)
    except OSError as error:  # a file or folder that is missing, unreadable or of the wrong kind
        print(f"npgrad: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("npgrad: interrupted", file=sys.stderr)
        return 130
    return 2


def run():
    """The `npgrad` command: main() in a process whose heap keeps even its largest freed arrays
    for the next batch (npgrad.memory.keep_large_arrays), unless NPGRAD_KEEP_FREED_MEMORY=0."""
    from . import memory

    if memory.enabled():
        memory.keep_large_arrays()
    sys.exit(main())


if __name__ == "__main__":
    run()
