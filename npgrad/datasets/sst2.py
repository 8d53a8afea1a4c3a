"""SST-2: the binary Stanford Sentiment Treebank as GLUE distributes it (Socher et al. 2013;
Wang et al. 2018): lower-cased, tokenised movie-review sentences and phrases, 1 = positive.

GLUE's training split (67,349 rows) is cut into train (60,614) and dev (6,735); test is GLUE's
SST-2 dev set (872 labelled sentences), the set papers report "SST-2 dev" accuracy on."""

from __future__ import annotations

import os

import numpy as np

from . import storage
from ..data.dataset import Dataset

FOLDER = "sst2"
SPLITS = {  # rows and the sha256 of each file
    "train": (60_614, "920e317b2c52e12cd22db1da2c6708312bd7dc4f3712b9bbf1b50ee6c2c792ba"),
    "dev": (6_735, "92353770071a2a889f75d000a38a9e541ea8f0a5499e50f040b17917a5cbf66f"),
    "test": (872, "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0"),
}
SOURCE = (
    "from GitHub forest-snow/alps @ 3c7ef2c, data/SST-2/ (GLUE's train.tsv split 60,614 + 6,735 "
    "into train.tsv + dev.tsv; its dev.tsv as test.tsv)"
)
HEADER = "sentence\tlabel"


class SST2(Dataset):
    """One split of SST-2: dataset[i] is (sentence, label), a str and an int (1 = positive).

    Reads <root>/sst2/{train,dev,test}.tsv (data root: `root`, else $NPGRAD_DATA, else
    ~/.cache/npgrad), checked against their SHA-256; the files cannot be downloaded
    automatically. split: "train", "dev" (to tune on) or "test" (to report on).
    sentences: the split's sentences (list of str); targets: their labels (int64 array).
    """

    classes = ["negative", "positive"]

    def __init__(self, root: str | os.PathLike | None = None, split: str = "train") -> None:
        if split not in SPLITS:
            raise ValueError(f"SST2: split must be one of {sorted(SPLITS)}, got {split!r}")
        rows, sha256 = SPLITS[split]
        file = storage.DataFile(FOLDER, f"{split}.tsv", sha256, source=SOURCE)
        sentences, targets = storage.load(storage.locate(file, root), sha256, _read_tsv)
        if len(targets) != rows:
            raise storage.CorruptFileError(f"SST2: {split}.tsv has {len(targets)} rows, expected {rows}")
        self.split = split
        self.sentences, self.targets = list(sentences), targets

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[str, int]:
        return self.sentences[index], int(self.targets[index])

    def __repr__(self) -> str:
        positive = int(self.targets.sum())
        return f"SST2({self.split}: {len(self)} sentences, {positive} positive, {len(self) - positive} negative)"


def _read_tsv(contents):
    """sentence<TAB>label rows under the header -> (sentences as an object array, labels int64);
    the trailing space GLUE leaves after each sentence is dropped."""
    lines = contents.decode("utf-8").splitlines()
    if not lines or lines[0] != HEADER:
        raise ValueError(f"expected the header {HEADER!r}, got {lines[0][:40] if lines else ''!r}")
    fields = [line.split("\t") for line in lines[1:]]
    bad = next((n for n, row in enumerate(fields, 2) if len(row) != 2 or row[1] not in ("0", "1")), None)
    if bad is not None:
        raise ValueError(f"line {bad} is not 'sentence<TAB>0 or 1': {lines[bad - 1][:60]!r}")
    sentences = np.array([sentence.strip() for sentence, _ in fields], dtype=object)
    return sentences, np.array([int(label) for _, label in fields], dtype=np.int64)
