"""Parallel text for translation: sentence pairs from Tatoeba (English-French and
English-Korean, as manythings.org/anki packs them) and Multi30k (image captions in English,
German, French and Czech)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np

from . import storage
from ..data.dataset import Dataset, random_split
from ..text.tokenize import normalize as normalize_text
from ..types import _generator

# The English beginnings PyTorch's seq2seq tutorial keeps, after normalize() ("i'm" -> "i m").
# As there, "he is" without a trailing space also keeps "he isn t ...".
TUTORIAL_PREFIXES = (
    "i am ",
    "i m ",
    "he is",
    "he s ",
    "she is",
    "she s ",
    "you are",
    "you re ",
    "we are",
    "we re ",
    "they are",
    "they re ",
)
TUTORIAL_MAX_LENGTH = 10


class TranslationPairs(Dataset):
    """(source, target) sentence pairs: dataset[i] is a tuple of two strings.

    pairs: the (source, target) strings; languages: their codes, e.g. ("en", "fr"), which
    normalize() and the English filter need. Options:
      normalize: clean both sides with npgrad.text.normalize (lowercase, no accents, . ! ?
        split off), as PyTorch's seq2seq tutorial does; otherwise the text stays as stored.
      max_length: keep only pairs whose two sides both have fewer than max_length words;
      english_prefixes: keep only pairs whose English side starts with one of them.
        Both look at the normalised text. With max_length=TUTORIAL_MAX_LENGTH and
        english_prefixes=TUTORIAL_PREFIXES this is the tutorial's filter.
    """

    def __init__(
        self,
        pairs: Iterable[Iterable[str]],
        languages: Sequence[str],
        normalize: bool = False,
        max_length: int | None = None,
        english_prefixes: Iterable[str] | None = None,
    ) -> None:
        self.languages = tuple(languages)
        if len(self.languages) != 2:
            raise ValueError(f"{type(self).__name__}: languages must be (source, target), got {languages!r}")
        rows = [tuple(pair) for pair in pairs]
        if not normalize and max_length is None and english_prefixes is None:
            self.pairs = rows
            return
        normalized = [
            tuple(normalize_text(text, language) for text, language in zip(pair, self.languages)) for pair in rows
        ]  # once per text: the filters and the result all use it
        kept = self._kept(normalized, max_length, english_prefixes)
        self.pairs = [(normalized if normalize else rows)[i] for i in kept]

    def _kept(self, normalized, max_length, english_prefixes):
        """The indices of the normalised pairs that pass both filters."""
        kept = range(len(normalized))
        if english_prefixes is not None:
            if "en" not in self.languages:
                raise ValueError(
                    f"{type(self).__name__}: english_prefixes needs an English side, the languages are {self.languages}"
                )
            english, prefixes = self.languages.index("en"), tuple(english_prefixes)
            kept = [i for i in kept if normalized[i][english].startswith(prefixes)]
        if max_length is not None:
            kept = [i for i in kept if all(len(text.split()) < max_length for text in normalized[i])]
        return kept

    @property
    def source_language(self) -> str:
        return self.languages[0]

    @property
    def target_language(self) -> str:
        return self.languages[1]

    @property
    def sources(self) -> list[str]:
        return [source for source, _ in self.pairs]

    @property
    def targets(self) -> list[str]:
        return [target for _, target in self.pairs]

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[str, ...]:
        return self.pairs[index]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source_language} -> {self.target_language}: {len(self)} pairs)"


_TATOEBA = {  # sha256 of the text (for a .gz, of its decompressed contents)
    "fr": storage.DataFile(
        "translation/anki-fra-eng",
        "fra.txt.gz",
        "2546838ae46e0eac4c02ab7032ea0a02a006074a5340077a36a9444f41e02888",  # the .gz itself: ec59d6aa...
        source="by hand: the fra.txt of the 2017-09-29 fra-eng.zip of manythings.org/anki (gzipped or "
        "not; newer releases differ), a copy of which is in GitHub genimind/seq2seq "
        "at commit 4f3f8eb,",
    ),
    "ko": storage.DataFile(
        "translation/anki-kor-eng",
        "kor.txt",
        "3988edfd32c892ccf4450772bc3a5906ebfcf3c8648f56012df204ddf27b8280",
        source="by hand: the kor.txt of manythings.org/anki's kor-eng.zip as GitHub "
        "nate-koser/kor-eng-translator holds it at commit 7502183 (newer releases differ),",
    ),
}
SPLITS = ("train", "val", "test")


class TatoebaPairs(TranslationPairs):
    """English sentences and their translations from the Tatoeba project, in the files of
    manythings.org/anki: language="fr", 142,787 English-French pairs (the kind of data
    PyTorch's seq2seq tutorial uses), or "ko", 3,798 English-Korean ones. Short sentences
    come first in the files.

    License: CC-BY 2.0 (France); attribution: tatoeba.org and manythings.org/anki (the Korean
    file's third column names each pair's Tatoeba sentence ids and authors).

    Reads <root>/translation/anki-fra-eng/fra.txt.gz (or fra.txt) or
    <root>/translation/anki-kor-eng/kor.txt, from the data root (`root`, else $NPGRAD_DATA,
    else ~/.cache/npgrad); these cannot be downloaded automatically.

    The pairs are (English, other), or (other, English) with reverse=True (e.g. fra -> eng).
    split: None for all pairs, or "train", "val" or "test": a random partition of the pairs
    (after filtering) in the proportions `fractions`, drawn with `seed`, so the same
    arguments always give the same split and the three splits never overlap.
    normalize, max_length, english_prefixes: see TranslationPairs. The tutorial's data is
    TatoebaPairs("fr", reverse=True, normalize=True, max_length=TUTORIAL_MAX_LENGTH,
    english_prefixes=TUTORIAL_PREFIXES).
    """

    def __init__(
        self,
        language: str = "fr",
        split: str | None = None,
        root: str | os.PathLike | None = None,
        reverse: bool = False,
        normalize: bool = False,
        max_length: int | None = None,
        english_prefixes: Iterable[str] | None = None,
        fractions: Sequence[float] = (0.8, 0.1, 0.1),
        seed: _generator | None = 0,
    ) -> None:
        if language not in _TATOEBA:
            raise ValueError(f"TatoebaPairs: language must be one of {sorted(_TATOEBA)}, got {language!r}")
        if split is not None and split not in SPLITS:
            raise ValueError(f"TatoebaPairs: split must be None or one of {SPLITS}, got {split!r}")
        file = _TATOEBA[language]
        table = storage.load(storage.locate(file, root), file.sha256, _read_tab_separated)  # no url: no download
        languages = (language, "en") if reverse else ("en", language)
        super().__init__(table[:, ::-1] if reverse else table, languages, normalize, max_length, english_prefixes)
        self.split = split
        if split is not None:
            parts = random_split(self.pairs, fractions, generator=seed)  # type: ignore[arg-type]  # a list serves
            self.pairs = [self.pairs[i] for i in parts[SPLITS.index(split)].indices]


def _read_tab_separated(contents):
    """English<TAB>translation[<TAB>attribution] lines -> a read-only (N, 2) array of strings."""
    lines = contents.decode("utf-8").rstrip("\n").split("\n")
    rows = [line.split("\t")[:2] for line in lines]
    short = [number for number, row in enumerate(rows, 1) if len(row) < 2]
    if short:
        raise ValueError(f"line {short[0]} has no tab between the English sentence and its translation")
    return np.array(rows, dtype=object)


_MULTI30K_URL = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/"
_MULTI30K_SHA256 = {  # of the decompressed files
    "train.en": "460a15fbd157e34a7a9957ee388c1ca247fe47af3ef25fb50442af6c274e0fc6",
    "train.de": "2c2b73fd2b548fbcde3a875e0a78d6ee94d498bfdee6bd3eae3945779e9ddf72",
    "train.fr": "5925a3c18f1587b6b54b87743106e6e8ab93618edb6f65d19eac0621f853a10d",
    "train.cs": "2be68b38c8d586ff4f54eb13cc6e1baaaa053695b3f070d3038303a47f2268da",
    "val.en": "1f2a23d992769b5b3d209b0a10dd0b77c08cceb1f20dfb97ed0aafa49d107227",
    "val.de": "660e09eb7e1da2f856ea13ee5ad3cf6d36b3d5b0b733c857e94c5747a3dfc660",
    "val.fr": "5304e444d842e962b2dda4d816b70b22a1765b15401642b7ca37a67477e708dc",
    "val.cs": "d53827e469b0a1ca8d57e9e26b2b64c4bc4b33f5479c7b03ae87ae5c882c3e33",
    "test_2016_flickr.en": "399a4382932c1aadd3ceb9bef1008d388a64c76d4ae4e9d4728c6f4301cac182",
    "test_2016_flickr.de": "4be6b5b3236b79c25475c6bb829800a7ce559e9ba7a1f6c2394fe4d40be46d16",
    "test_2016_flickr.fr": "cb3160d69b002bb638e66cc7612fcd56cb0af82eadc9c142dedc438afb885ef6",
    "test_2016_flickr.cs": "45adb85f688de8407fddcbe1b36dca15d12aab868149b337e2576f2d6d2ff8d8",
    "test_2017_flickr.en": "ce1450ddc5ab0834502579d77a170849952e15a2938b34cc503bdc25ebb4fb98",
    "test_2017_flickr.de": "c3078bc3b36808bf9d20eb2347ed6137016179ef59ec0d2b9b8ecc3fb2880081",
    "test_2017_flickr.fr": "6f3764e31dac41e9455e612958bcfd4e877c5e15cd66df2c2b2be6d9bd83e5b6",
    "test_2017_mscoco.en": "43051fdfa86fd5395182e718a94ca67b1b227b9f7c79596ff0f6b813216981d2",
    "test_2017_mscoco.de": "58277df3c75f92f7145a11b910b553d1cf82c439249d4dc237c899609eafac22",
    "test_2017_mscoco.fr": "39cde3f43f32b0a6bf29ce4917a46329ff32e53070c2fac87506695a740ae0a0",
    "test_2018_flickr.en": "4e585c2dd525911a6ea7730e9d0b516239af3f1b1ffae6a2130223cfb639f25e",
    "test_2018_flickr.de": "39fcc8b3331d76fb42d648d019c6898b0d5e58baac87bc2a0bb93f44ec8db207",
    "test_2018_flickr.fr": "234b4a887da0da4801a3e2c6f21336231ff7dd46daeb80cfa1b551c8bbb78239",
    "test_2018_flickr.cs": "1db59fe6980c9b3f9bade65122a985e71150214837d76f4768a5a8384c0b2dc7",
}


class Multi30k(TranslationPairs):
    """Multi30k task 1 (Elliott et al., 2016): descriptions of Flickr30k images in English
    and their translations into German, French and Czech; the corpus of PyTorch's
    nn.Transformer translation tutorial. 29,000 training pairs, 1,014 validation pairs.

    split: "train", "val", "test" (= "test_2016_flickr", 1,000 pairs), or one of the later
    test sets "test_2017_flickr", "test_2017_mscoco" (no Czech), "test_2018_flickr".
    language_pair: (source, target) codes among "en", "de", "fr", "cs".
    Reads <root>/translation/multi30k-task1-raw/{split}.{language}.gz (or the plain files),
    downloaded from the multi30k/dataset GitHub repository when missing and `download` is true.
    License: none is stated for the text; its README offers the data for non-commercial
    research and educational use. Cite Elliott et al., "Multi30K: Multilingual
    English-German Image Descriptions", 2016.
    normalize, max_length, english_prefixes: see TranslationPairs.
    """

    folder = "translation/multi30k-task1-raw"

    def __init__(
        self,
        split: str = "train",
        language_pair: Sequence[str] = ("de", "en"),
        root: str | os.PathLike | None = None,
        download: bool = True,
        normalize: bool = False,
        max_length: int | None = None,
        english_prefixes: Iterable[str] | None = None,
    ) -> None:
        split = "test_2016_flickr" if split == "test" else split
        names = [f"{split}.{language}" for language in language_pair]
        unknown = [name for name in names if name not in _MULTI30K_SHA256]
        if unknown or len(names) != 2:
            splits = sorted({name.split(".")[0] for name in _MULTI30K_SHA256})
            raise ValueError(
                f"Multi30k: no file {unknown} (split {split!r}, languages {language_pair}); "
                f"the splits are {splits} and 'test', the languages en, de, fr, cs"
            )
        sources, targets = (self._read(name, root, download) for name in names)
        if len(sources) != len(targets):
            raise storage.CorruptFileError(
                f"Multi30k: {names[0]} has {len(sources)} lines but {names[1]} has {len(targets)}"
            )
        self.split = split
        super().__init__(zip(sources, targets), language_pair, normalize, max_length, english_prefixes)

    def _read(self, name, root, download):
        file = storage.DataFile(self.folder, f"{name}.gz", _MULTI30K_SHA256[name], f"{_MULTI30K_URL}{name}.gz")
        return storage.load(storage.locate(file, root, download), file.sha256, _read_lines)


def _read_lines(contents):
    """One sentence a line -> a read-only (N,) array of strings."""
    return np.array(contents.decode("utf-8").rstrip("\n").split("\n"), dtype=object)
