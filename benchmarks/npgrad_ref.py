"""npgrad's side of the reference workloads (see ../shared/bench/README.md).

    python benchmarks/npgrad_ref.py --workload mlp --threads 2

Prints one JSON line in the same format as the PyTorch reference: median wall ms per full
training step (forward + backward + optimizer step, loss read back as a float), peak RSS.
The timing helpers come from the shared bench folder (--bench-dir, default ../shared/bench).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.environ.get("NPGRAD_BENCH_DIR", os.path.join(HERE, "..", "..", "shared", "bench"))
sys.path.insert(0, BENCH_DIR)
sys.path.insert(0, os.path.join(HERE, ".."))
import common  # noqa: E402

WORKLOADS = ["mlp"]
args = common.parse_args(__doc__, WORKLOADS)
common.early_setup(args.threads)

import numpy as np  # noqa: E402

import npgrad  # noqa: E402
import npgrad.nn as nn  # noqa: E402
import npgrad.nn.functional as F  # noqa: E402

npgrad.manual_seed(common.SEED)
rss_after_import = common.current_rss_mb()


def mlp():
    return nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(),
                         nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 24))


def build(workload):
    a, b = (npgrad.from_numpy(t) for t in common.rand_batch(np, workload))
    model = {"mlp": mlp}[workload]()
    opt = npgrad.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(a)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b.reshape(-1))
        loss.backward()
        opt.step()
        return loss.item()
    return step, [model]


step, models = build(args.workload)
n_params = sum(p.numel() for m in models for p in m.parameters())
res = common.measure(step, args.warmup, args.steps)
common.emit({"framework": "npgrad", "workload": args.workload, "threads": args.threads,
             "tag": args.tag, **res, "n_params": n_params,
             "rss_after_import_mb": round(rss_after_import, 1), "numpy_version": np.__version__})
