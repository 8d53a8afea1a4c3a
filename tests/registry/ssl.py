"""Self-supervised losses: nt_xent (SimCLR's NT-Xent), against the formula written in PyTorch."""

from . import f, register, value


def nt_xent_formula(lib, F, z1, z2, temperature):
    """Cosine similarities / t of the 2N rows, the diagonal left out, cross-entropy to the other view."""
    n = z1.shape[0]
    unit = F.normalize(lib.cat([z1, z2]), dim=1)
    scores = unit @ unit.T / temperature
    scores = scores.masked_fill(lib.eye(2 * n, dtype=lib.bool), float("-inf"))
    positive = (lib.arange(2 * n) + n) % (2 * n)
    return F.cross_entropy(scores, positive)


register(
    "nt_xent",
    lambda lib, F, z1, z2, t: F.nt_xent(z1, z2, t),
    [
        (f(4, 3), f(4, 3), value(0.5)),
        (f(6, 5), f(6, 5), value(0.1)),
        (f(1, 4), f(1, 4), value(1.0)),
        (f(5, 8), f(5, 8, grad=False), value(2.0)),
    ],
    torch_fn=nt_xent_formula,
)
