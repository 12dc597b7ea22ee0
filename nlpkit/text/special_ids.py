"""Reserved token ids shared by every vocabulary in nlpkit (translation, characters, music).

Ids 0-3 are the same everywhere: 0 padding, 1 unknown token, 2 start of sequence (BOS),
3 end of sequence (EOS). Each vocabulary keeps its own strings for them (the translator's
`""`, `"[UNK]"`, `"<s>"`, `"</s>"`; the music events' `"<pad>"`, `"<unk>"`, `"<start>"`,
`"<end>"`), but not its own numbers.

Models saved before this convention whose vocabulary file puts the special strings elsewhere (the
music vocabulary of nlpkit <= 0.x wrote `<pad> <start> <end> <unk>`) keep their ids: see
`special_ids_from_tokens`, which reads them from the saved token list.

Example:
    >>> special_ids_from_tokens(["<pad>", "<start>", "<end>", "<unk>", "n60:1"],
    ...                         pad="<pad>", unk="<unk>", bos="<start>", eos="<end>")
    SpecialIds(pad=0, unk=3, bos=1, eos=2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "PAD_ID",
    "UNK_ID",
    "BOS_ID",
    "EOS_ID",
    "NUM_SPECIAL",
    "SpecialIds",
    "special_ids_from_tokens",
]

PAD_ID = 0
UNK_ID = 1
BOS_ID = 2
EOS_ID = 3
NUM_SPECIAL = 4


class SpecialIds(NamedTuple):
    """The reserved ids of one vocabulary."""

    pad: int = PAD_ID
    unk: int = UNK_ID
    bos: int = BOS_ID
    eos: int = EOS_ID


def special_ids_from_tokens(
    tokens: Sequence[str], *, pad: str, unk: str, bos: str, eos: str
) -> SpecialIds:
    """The reserved ids of a saved token list, found by their strings.

    Args:
        tokens: The vocabulary in id order (as read from a saved file).
        pad, unk, bos, eos: The strings this vocabulary uses for the four special tokens.

    Returns:
        Their positions in `tokens`; `SpecialIds()` (0, 1, 2, 3) for a current vocabulary.

    Raises:
        ValueError: a special string is missing from `tokens` or they are not ids 0-3.
    """
    index = {t: i for i, t in enumerate(tokens[:NUM_SPECIAL])}
    missing = [s for s in (pad, unk, bos, eos) if s not in index]
    if missing:
        raise ValueError(
            f"A vocabulary must start with its four special tokens {[pad, unk, bos, eos]}. "
            f"Missing among the first four entries: {missing}; received: {list(tokens[:4])}"
        )
    return SpecialIds(index[pad], index[unk], index[bos], index[eos])
