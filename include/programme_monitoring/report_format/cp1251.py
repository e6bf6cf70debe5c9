"""Whether bytes that are not UTF-8 read as Windows-1251 Cyrillic, judged a block at a time.

A CSV file that is not UTF-8 is read as Windows-1251 (Excel's "CSV" in a Russian locale) only
if its text reads as Cyrillic: only characters such texts hold, no word mixing Latin and
Cyrillic letters ("Ministиre", "Intйrieur": Windows-1252 read as Windows-1251), and words
written in one case or capitalised, a few like "КоАП" allowed ("рТЙЧЕФ": KOI8-R read as
Windows-1251). Windows-1251 also decodes as Serbian and Macedonian letters and symbols
(Ђ Љ ‚ ¤ ¦ …): real texts here have none, while other code pages read as Windows-1251 are
full of them.

A large annex reaches 300 MB. Each byte is mapped to its class by one ``bytes.translate``
(``_CLASSES``: a capital or small Cyrillic letter, a Latin letter, another character such
texts hold, or one they never hold) and the words are counted on the classes with numpy, a
block at a time, each block ending after its last non-letter (the word it cuts goes with the
next): 0.4 s and 23 MB for an annex of 1,000,000 rows (105 MB), where decoding it whole and
searching the text with regular expressions took 4.4 s and 600 MB.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

CYRILLIC_LETTERS = (
    "".join(map(chr, range(ord("А"), ord("я") + 1)))  # А-Я, а-я
    + "ЁёІіЇїЄєҐґЎў"
)
OTHER_CHARACTERS = "\t\n\r" + "".join(map(chr, range(0x20, 0x7F))) + "№«»–—“”„‘’…\u00a0°"


def _class(byte: int) -> bytes:
    try:
        character = bytes([byte]).decode("cp1251")
    except UnicodeDecodeError:  # 0x98, undefined in Windows-1251
        return b"x"
    if character in CYRILLIC_LETTERS:
        return b"U" if character.isupper() else b"l"
    if character.isascii() and character.isalpha():
        return b"L"
    return b"." if character in OTHER_CHARACTERS else b"x"


_CLASSES = b"".join(_class(byte) for byte in range(256))  # a ``bytes.translate`` table
_UPPER, _LOWER, _LATIN = ord("U"), ord("l"), ord("L")
_LONGEST_WORD = 1 << 20


def plausible_cyrillic(blocks: Iterable[bytes]) -> bool:
    """The bytes of ``blocks``, in order, read as Windows-1251 Cyrillic text."""
    words = odd = 0
    for classes in _classes_by_word(blocks):
        if b"x" in classes or (counted := _cyrillic_words(classes)) is None:
            return False
        words, odd = words + counted[0], odd + counted[1]
    return odd * 4 <= words  # a few "КоАП" are fine, a mess is not


def _classes_by_word(blocks: Iterable[bytes]) -> Iterable[bytes]:
    """The classes of the blocks' bytes, cut after a non-letter: the letters after a block's
    last non-letter go with the next block (up to ``_LONGEST_WORD``: a text that is all letters
    is cut there)."""
    rest = b""
    for block in blocks:
        classes = rest + block.translate(_CLASSES)
        cut = len(classes.rstrip(b"LUl"))
        if cut == 0 and len(classes) <= _LONGEST_WORD:
            rest = classes
            continue
        cut = cut or len(classes)
        yield classes[:cut]
        rest = classes[cut:]
    if rest:
        yield rest


def _cyrillic_words(classes: bytes) -> tuple[int, int] | None:
    """(words of three Cyrillic letters or more, those written neither in one case nor
    capitalised); None if a Latin letter stands next to a Cyrillic one."""
    text = np.frombuffer(classes, dtype=np.uint8)
    upper, lower = text == _UPPER, text == _LOWER
    cyrillic = upper | lower
    latin = text == _LATIN
    if (latin[:-1] & cyrillic[1:]).any() or (cyrillic[:-1] & latin[1:]).any():
        return None
    edges = np.flatnonzero(np.diff(cyrillic, prepend=False, append=False))
    starts, ends = edges[::2], edges[1::2]  # each run of Cyrillic letters: [start, end)
    if not len(starts):
        return 0, 0

    def in_word(found: np.ndarray) -> np.ndarray:
        """Whether each run holds one of ``found`` (a letter, or a pair of letters found at its
        first); the sum from one run's start to the next's is the run's: nothing is found between."""
        return np.add.reduceat(np.concatenate((found, np.zeros(len(text) - len(found), bool))), starts) > 0

    # A word in one case or capitalised is small letters after at most one capital, or capitals
    # alone: any other holds a small letter before a capital, or two capitals and a small letter.
    odd = in_word(lower[:-1] & upper[1:]) | (in_word(upper[:-1] & upper[1:]) & in_word(lower))
    words = ends - starts >= 3
    return int(words.sum()), int((words & odd).sum())
