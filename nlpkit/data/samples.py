"""Demo and sample data written or read without a network: the synthetic NER corpus and the US
Census first names shipped inside the `names` package.

These used to live at the bottom of the pipeline modules (`nlpkit.pipelines.tagger` still
re-exports `write_sample_conll`); recipes (`nlpkit.recipes`) and tests use them from here.

Example:
    >>> import tempfile
    >>> from nlpkit.data.conll import read_conll
    >>> paths = write_sample_conll(tempfile.mkdtemp(), n_train=3, n_dev=1)
    >>> sentences, tags = read_conll(paths["train"])
    >>> len(sentences), len(tags[0]) == len(sentences[0])
    (3, True)
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path

from nlpkit.errors import MissingDependencyError

__all__ = ["write_sample_conll", "census_names", "NAME_CASES"]

_SAMPLE_PEOPLE = [
    "Alice Smith",
    "Bob",
    "Maria Garcia",
    "Chen Wei",
    "John Miller",
    "Priya",
    "Tom Baker",
    "Ana",
]
_SAMPLE_PLACES = ["Paris", "New York", "Berlin", "Lagos", "Tokyo", "Lima", "Cairo", "Oslo"]
_SAMPLE_ORGS = [
    "Acme Corp",
    "the United Nations",
    "Reuters",
    "Globex",
    "Initech",
    "Stark Industries",
]
_SAMPLE_TEMPLATES = [
    "{PER} lives in {LOC} .",
    "{PER} works for {ORG} in {LOC} .",
    "{ORG} opened an office in {LOC} on Monday .",
    "Yesterday {PER} met {PER} at {ORG} .",
    "Shares of {ORG} rose 3 percent , {PER} said .",
    "The team flew from {LOC} to {LOC} .",
    "{PER} joined {ORG} last year .",
    "It rained in {LOC} all week .",
]

#: How `census_names` (and the chargen recipe's `data.case`) can recase names.
NAME_CASES = {"keep": str, "lower": str.lower, "upper": str.upper, "title": str.title}


def write_sample_conll(
    directory: str | os.PathLike, n_train: int = 200, n_dev: int = 50, seed: int = 0
) -> dict[str, Path]:
    """Write a small SYNTHETIC sample corpus (IOB2, 2 columns) for demos: `train.txt`, `dev.txt`.

    This is not real data: sentences are filled from a handful of templates and names, so scores
    on it only show that the pipeline runs end to end.

    Args:
        directory: Folder to write (created if needed).
        n_train: Number of training sentences.
        n_dev: Number of development sentences.
        seed: Seed of the template and name choices.

    Returns:
        `{"train": path, "dev": path}`.

    Example:
        >>> import tempfile
        >>> paths = write_sample_conll(tempfile.mkdtemp(), n_train=2, n_dev=1)
        >>> sorted(paths), paths["train"].read_text(encoding="utf-8").count("\\n\\n")
        (['dev', 'train'], 2)
    """
    from nlpkit.data.conll import write_conll

    rng = random.Random(seed)
    fill = {"PER": _SAMPLE_PEOPLE, "LOC": _SAMPLE_PLACES, "ORG": _SAMPLE_ORGS}
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("dev", n_dev)):
        sents, tags = [], []
        for _ in range(n):
            toks, tg = [], []
            for part in rng.choice(_SAMPLE_TEMPLATES).split():
                if part.startswith("{"):
                    kind = part[1:-1]
                    words = rng.choice(fill[kind]).split()
                    toks += words
                    tg += [f"B-{kind}"] + [f"I-{kind}"] * (len(words) - 1)
                else:
                    toks.append(part)
                    tg.append("O")
            sents.append(toks)
            tags.append(tg)
        out[split] = write_conll(directory / f"{split}.txt", sents, tags, separator="\t")
    (directory / "README.txt").write_text(
        "SYNTHETIC SAMPLE written by nlpkit.data.samples.write_sample_conll: template sentences, "
        "not real data.\n",
        encoding="utf-8",
    )
    return out


def census_names(lists: Sequence[str] = ("first:female", "first:male")) -> list[str]:
    """First names from the US Census 1990 lists shipped inside the `names` package.

    Args:
        lists: Keys of `names.FILES` (`"first:female"`, `"first:male"`, `"last"`).

    Returns:
        The names (upper case, as in the census files), without duplicates, in file order.

    Raises:
        MissingDependencyError: `names` is not installed (`pip install "nlpkit[names]"`).
        ValueError: An unknown list name.

    Example:
        >>> census_names(["first:female"])[:3]
        ['MARY', 'PATRICIA', 'LINDA']
    """
    from nlpkit.data.text_lines import read_lines

    try:
        import names
    except ImportError as e:
        raise MissingDependencyError("names", "names", "The names demo data") from e
    out: dict[str, None] = {}
    for key in lists:
        if key not in names.FILES:
            raise ValueError(
                f"`data.lists` entries must be among {sorted(names.FILES)}. Received: {key!r}"
            )
        for line in read_lines(Path(names.FILES[key])):
            out.setdefault(line.split()[0], None)
    return list(out)
