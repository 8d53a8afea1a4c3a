"""The `npgrad run char-rnn` lesson trained by PyTorch, for its final validation loss and speed.

    python benchmarks/char_rnn_torch.py                       # needs torch (pip install -e ".[test]")
    python benchmarks/char_rnn_torch.py --compare runs/char-rnn/result.json --figure char_rnn.png

The lesson's configuration (npgrad.lessons.char_rnn.CONFIG), its initial weights (the npgrad
model's state_dict is loaded into torch.nn.LSTM), the same training windows in the same order,
the same step budget and the same validation windows: the loop is the lesson's own
`train_and_validate`, only the training step and the loss are PyTorch's. --compare reads the
lesson's result.json and prints both final losses side by side (and plots both curves with
--figure).
"""

import argparse
import json

import numpy as np
import torch
from torch import nn

from npgrad.datasets import shakespeare_splits
from npgrad.lessons import char_rnn


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear with npgrad.models.CharRNN's parameter names, so its state_dict loads."""

    def __init__(self, vocab_size, embedding_dim, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids):
        output, _ = self.rnn(self.embedding(ids))
        return self.head(output)


def model_like_the_lesson(config, vocab_size):
    """PyTorch's model, starting from the lesson's initial npgrad weights."""
    model = CharLSTM(vocab_size, config["embedding_dim"], config["hidden_size"])
    initial = char_rnn.build_model(config, vocab_size).state_dict()
    model.load_state_dict({name: torch.from_numpy(value.numpy()) for name, value in initial.items()})
    return model


def torch_steps(model, lr):
    """(train_step, summed_nll) as the lesson's loop wants them, computed by PyTorch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def loss(inputs, targets, reduction="mean"):
        logits = model(torch.from_numpy(inputs))
        return nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), torch.from_numpy(targets).reshape(-1), reduction=reduction
        )

    def train_step(inputs, targets):
        optimizer.zero_grad(set_to_none=True)
        value = loss(inputs, targets)
        value.backward()
        optimizer.step()
        return value.item()

    def summed_nll(inputs, targets):
        with torch.no_grad():
            return loss(inputs, targets, reduction="sum").item()

    return train_step, summed_nll


def compare(result, npgrad_result_path, figure):
    """Print PyTorch's final validation loss and speed beside the npgrad lesson's."""
    with open(npgrad_result_path) as f:
        lesson = json.load(f)
    print(f"\n{'':<10} {'final validation loss':>22} {'perplexity':>11} {'ms/step':>8}")
    for name, loss, ms in (
        ("npgrad", lesson["final_val_loss"], lesson["ms_per_step"]),
        ("PyTorch", result["val_curve"][-1][1], result["ms_per_step"]),
    ):
        print(f"{name:<10} {loss:>22.4f} {np.exp(loss):>11.2f} {ms:>8.1f}")
    if figure:
        curves = {"npgrad": lesson["val_curve"], "PyTorch (same start, same batches)": result["val_curve"]}
        char_rnn.plot_validation(curves, figure, "char-rnn on Tiny Shakespeare: npgrad and PyTorch")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the lesson's quick configuration")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's own choice)")
    parser.add_argument("--compare", metavar="RESULT_JSON", help="the npgrad lesson's result.json")
    parser.add_argument("--figure", help="with --compare: write both validation curves to this PNG")
    parser.add_argument("--out", help="write PyTorch's results to this JSON file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    config = char_rnn.config_for(args.quick)
    train_ids, val_ids, text = shakespeare_splits(config["validation_characters"])
    windows = char_rnn.validation_windows(val_ids, config["block_size"])
    model = model_like_the_lesson(config, text.vocab_size)
    result = char_rnn.train_and_validate(*torch_steps(model, config["lr"]), train_ids, windows, config, "PyTorch")
    print(
        f"\nPyTorch {torch.__version__}, {torch.get_num_threads()} threads: validation loss "
        f"{result['val_curve'][-1][1]:.4f} after {config['steps']} steps, {result['ms_per_step']:.1f} ms/step"
    )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(
                {
                    "config": config,
                    "val_curve": result["val_curve"],
                    "ms_per_step": result["ms_per_step"],
                    "final_val_loss": result["val_curve"][-1][1],
                    "torch_version": torch.__version__,
                },
                f,
                indent=2,
            )
    if args.compare:
        compare(result, args.compare, args.figure)


if __name__ == "__main__":
    main()
