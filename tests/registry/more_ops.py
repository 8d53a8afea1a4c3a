"""sort/topk/cumsum, index_select/repeat/scatter/scatter_add, bmm/einsum."""

import numpy as np

from . import distinct, f, ints, register, value

register(
    "sort",
    lambda lib, F, x, d, desc: lib.sort(x, d, desc)[0],
    [(distinct(3, 5), value(-1), value(False)), (distinct(4, 2, 3), value(0), value(True))],
)
register(
    "topk",
    lambda lib, F, x, k, d, largest: lib.topk(x, k, d, largest)[0],
    [(distinct(3, 6), value(2), value(-1), value(True)), (distinct(5, 3, 2), value(3), value(0), value(False))],
)
register(
    "cumsum", lambda lib, F, x, d: lib.cumsum(x, d), [(f(3, 4), value(1)), (f(4, 2, 3), value(0)), (f(5), value(-1))]
)

register(
    "index_select",
    lambda lib, F, x, d, i: lib.index_select(x, d, i),
    [(f(5, 3), value(0), ints(5, 7)), (f(2, 4, 3), value(1), ints(4, 2))],
)
register(
    "repeat",
    lambda lib, F, x, r: x.repeat(*r),
    [(f(2, 3), value((2, 1))), (f(3), value((2, 1, 3))), (f(2, 1, 3), value((1, 4, 2)))],
)

# each column (dim 0) or row (dim 1) names distinct places, so no two writes compete for one entry
SCATTER_DIM0 = np.array([[0, 1, 2, 0, 1], [2, 0, 0, 1, 2]])
SCATTER_DIM1 = np.array([[3, 0, 1], [2, 1, 0]])
register(
    "scatter",
    lambda lib, F, x, s, d, i: x.scatter(d, lib.tensor(i), s),
    [(f(3, 5), f(2, 5), value(0), value(SCATTER_DIM0)), (f(3, 4), f(2, 3), value(1), value(SCATTER_DIM1))],
)
register(
    "scatter_value",
    lambda lib, F, x, d, i: x.scatter(d, lib.tensor(i), 1.5),
    [(f(3, 4), value(1), value(SCATTER_DIM1))],
)
register(
    "scatter_add",
    lambda lib, F, x, s, d, i: x.scatter_add(d, i, s),
    [(f(3, 5), f(4, 5), value(0), ints(3, 4, 5)), (f(3, 4), f(2, 6), value(-1), ints(4, 2, 6))],
)

register("bmm", lambda lib, F, a, b: lib.bmm(a, b), [(f(2, 3, 4), f(2, 4, 5)), (f(1, 1, 3), f(1, 3, 1))])
register(
    "einsum",
    lambda lib, F, eq, *xs: lib.einsum(eq, *xs),
    [
        (value("ij,jk->ik"), f(3, 4), f(4, 5)),
        (value("bij,bjk,kl->bil"), f(2, 3, 4), f(2, 4, 5), f(5, 2)),
        (value("i,j"), f(3), f(4)),
        (value("ijk->kj"), f(2, 3, 4)),
        (value("ij,kl->"), f(2, 3), f(4, 5)),
        (value("bhqd, bhkd -> bhqk"), f(2, 2, 3, 4), f(2, 2, 5, 4)),
        (value("ij,ij->i"), f(3, 4), f(3, 4)),
        (value("...ij,jk"), f(2, 3, 4), f(4, 5)),
        (value("...ij,jk->ik"), f(2, 3, 4), f(4, 5)),  # '...' kept, summed
        (value("bij,bjk->bik"), f(1, 3, 4), f(2, 4, 2)),
        (value("i...,i...->..."), f(3, 1, 2), f(3, 4, 1)),
    ],
)  # size-1 dims broadcast
