"""PyTorch twins of our workloads that ../shared/bench/torch_ref.py lacks (see extra_workloads.py).

    python benchmarks/torch_extra.py --workload mnist_cnn --threads 2

Prints one JSON line in torch_ref.py's format; compare.py runs it for these workloads.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("NPGRAD_BENCH_DIR", os.path.join(HERE, "..", "..", "shared", "bench")))
import common  # noqa: E402
import extra_workloads  # noqa: E402

args = common.parse_args(__doc__, extra_workloads.WORKLOADS)
common.early_setup(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mnist_train_torch import mnist_cnn  # noqa: E402  (the model of the main job's PyTorch twin)

torch.set_num_threads(args.threads)
torch.manual_seed(common.SEED)
rss_after_import = common.current_rss_mb()


model = mnist_cnn()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = (torch.from_numpy(t) for t in extra_workloads.rand_batch(np, args.workload))


def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


res = common.measure(step, args.warmup, args.steps)
common.emit(
    {
        "framework": "torch",
        "workload": args.workload,
        "threads": args.threads,
        "variant": "",
        "tag": args.tag,
        **res,
        "n_params": sum(p.numel() for p in model.parameters()),
        "rss_after_import_mb": round(rss_after_import, 1),
        "torch_version": torch.__version__,
        "torch_num_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }
)
