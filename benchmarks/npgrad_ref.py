"""npgrad's side of the reference workloads (see ../shared/bench/README.md).

    python benchmarks/npgrad_ref.py --workload mlp --threads 2

Prints one JSON line in the same format as the PyTorch reference: median wall ms per full
training step (forward + backward + optimizer step, loss read back as a float), peak RSS.
The timing helpers come from the shared bench folder (NPGRAD_BENCH_DIR, default ../shared/bench);
mnist_cnn (the main job's model as `npgrad train` builds it, batch 128, Adam lr 1e-3) is ours:
see extra_workloads.py, and torch_extra.py for its PyTorch twin.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.environ.get("NPGRAD_BENCH_DIR", os.path.join(HERE, "..", "..", "shared", "bench"))
sys.path.insert(0, BENCH_DIR)
sys.path.insert(0, os.path.join(HERE, ".."))
import common  # noqa: E402
import extra_workloads  # noqa: E402

WORKLOADS = ["mlp", "cnn", "lstm", "gpt", "gan", "vae"] + extra_workloads.WORKLOADS
args = common.parse_args(__doc__, WORKLOADS)
common.early_setup(args.threads)

import numpy as np  # noqa: E402

import npgrad  # noqa: E402
import npgrad.nn as nn  # noqa: E402
import npgrad.nn.functional as F  # noqa: E402
from npgrad.models import VAE, DCGANDiscriminator, DCGANGenerator, mnist_cnn, vae_loss  # noqa: E402

npgrad.manual_seed(common.SEED)
rss_after_import = common.current_rss_mb()


def mlp():
    return nn.Sequential(
        nn.Linear(784, 1024),
        nn.ReLU(),
        nn.Linear(1024, 512),
        nn.ReLU(),
        nn.Linear(512, 256),
        nn.ReLU(),
        nn.Linear(256, 24),
    )


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.f1 = nn.Linear(3136, 128)
        self.f2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = x.flatten(1)
        return self.f2(F.relu(self.f1(x)))


class CharLSTM(nn.Module):
    def __init__(self, vocab=65, emb=64, hidden=256):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=1, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx):
        h, _ = self.lstm(self.emb(idx))
        return self.head(h)


class Block(nn.Module):
    """Pre-norm Transformer block: x + proj(causal attention(ln1(x))), then x + MLP(ln2(x))."""

    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4).unbind(0)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # the same math as softmax(QK^T)V, fused
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.fc2(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab=65, ctx=128, d=128, n_head=4, n_layer=4):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([Block(d, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(npgrad.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln_f(x))


def gan(real, z):
    """One D update and one G update (non-saturating loss, reusing the same fake batch)."""
    G, D = DCGANGenerator(), DCGANDiscriminator()
    optG = npgrad.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = npgrad.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones, zeros = npgrad.ones(64, 1), npgrad.zeros(64, 1)
    bce = F.binary_cross_entropy_with_logits

    def step():
        fake = G(z)
        optD.zero_grad(set_to_none=True)
        lossD = bce(D(real), ones) + bce(D(fake.detach()), zeros)
        lossD.backward()
        optD.step()
        optG.zero_grad(set_to_none=True)
        lossG = bce(D(fake), ones)
        lossG.backward()
        optG.step()
        return lossD.item() + lossG.item()

    return step, [G, D]


def vae(x, eps):
    """The 784-400-20 VAE: Bernoulli reconstruction summed + KL, with the given eps."""
    model = VAE()
    opt = npgrad.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        logits, mu, logvar = model(x, eps)
        loss = vae_loss(logits, x, mu, logvar).loss
        loss.backward()
        opt.step()
        return loss.item()

    return step, [model]


def build(workload):
    batches = extra_workloads if workload in extra_workloads.WORKLOADS else common
    a, b = (npgrad.from_numpy(t) for t in batches.rand_batch(np, workload))
    if workload in ("gan", "vae"):
        return {"gan": gan, "vae": vae}[workload](a, b)
    model = {"mlp": mlp, "cnn": CNN, "lstm": CharLSTM, "gpt": GPT, "mnist_cnn": mnist_cnn}[workload]()
    if workload == "cnn":
        opt = npgrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    elif workload == "gpt":
        opt = npgrad.optim.AdamW(model.parameters(), lr=3e-4)
    else:
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
common.emit(
    {
        "framework": "npgrad",
        "workload": args.workload,
        "threads": args.threads,
        "tag": args.tag,
        **res,
        "n_params": n_params,
        "rss_after_import_mb": round(rss_after_import, 1),
        "numpy_version": np.__version__,
        "blas": common.blas_info(),
    }
)
