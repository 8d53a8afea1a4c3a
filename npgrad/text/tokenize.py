"""Text to tokens: a plain word splitter, and the sentence normaliser of PyTorch's
sequence-to-sequence translation tutorial, made aware of the language it cleans."""

import re
import unicodedata

_WORD_OR_MARK = re.compile(r"\w+|[^\w\s]")
_COMBINING_MARKS = re.compile("[\u0300-\u036f]")  # accents once NFD has split them off their letters

_LATIN = "a-z"
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"  # jamo, compatibility jamo, syllables
_KEPT_LETTERS = {"en": _LATIN, "fr": _LATIN, "de": _LATIN, "cs": _LATIN, "ko": _LATIN + _HANGUL}
_WORDS_AND_MARKS = {language: re.compile(f"[{letters}]+|[.!?]") for language, letters in _KEPT_LETTERS.items()}


def basic_english(text: str) -> list[str]:
    """`text` lowercased and split into words and punctuation marks, each mark a token of its
    own: "Don't stop!" -> ["don", "'", "t", "stop", "!"] (like torchtext's basic_english).
    A word is a run of letters or digits of any script, so French or Korean splits too."""
    return _WORD_OR_MARK.findall(text.lower())


def normalize(text: str, language: str = "en") -> str:
    """`text` cleaned the way PyTorch's seq2seq tutorial cleans its sentence pairs, so that a
    small vocabulary covers them: lowercase, accents dropped ("Ça va ?" -> "ca va ?"), the
    marks . ! ? split off as words, and every other character (digits, apostrophes, commas)
    dropped as a word boundary: "I'm" becomes "i m"; casefold() spells "ß" as "ss". The
    words and marks are joined by single spaces.

    `language` decides which letters survive: the 26 Latin ones for "en", "fr", "de", "cs";
    those and Hangul for "ko", whose syllables are kept intact.
    """
    if language not in _WORDS_AND_MARKS:
        raise ValueError(f"normalize: unknown language {language!r}; expected one of {sorted(_WORDS_AND_MARKS)}")
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")  # ligatures NFD would leave whole
    return " ".join(_WORDS_AND_MARKS[language].findall(_drop_accents(text)))


def _drop_accents(text: str) -> str:
    """NFD splits "é" into "e" + a combining accent; drop the accents, then NFC puts back
    together what NFD split and should stay whole (a Hangul syllable and its jamo)."""
    return unicodedata.normalize("NFC", _COMBINING_MARKS.sub("", unicodedata.normalize("NFD", text)))
