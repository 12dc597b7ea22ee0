"""Translation metrics: corpus BLEU and chrF (through sacrebleu), exact match, token accuracy.

BLEU is scored the way sacreBLEU users score systems (Post 2018): detokenised output against the
raw references, cased, with sacrebleu's '13a' tokenizer, and reported with sacreBLEU's signature
string. The older figure, with both sides lowercased and punctuation split off before scoring
(`lowercase_tokenize`), is reported beside it under its own name.

sacrebleu is an optional dependency (`pip install "nlpkit[translation]"`), imported only when
BLEU or chrF is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlpkit.errors import MissingDependencyError
from nlpkit.utils.validation import check_choice, check_same_length, check_texts

__all__ = [
    "corpus_bleu",
    "bleu_with_signature",
    "corpus_chrf",
    "exact_match",
    "lowercase_tokenize",
    "token_accuracy",
    "translation_metrics",
]

# Every character that is not a letter, digit or space becomes its own token, as
# `nlpkit.text.token_vocabulary.split_tokens(..., "word", ...)` does in the graph.
_PUNCT = re.compile(r"([^\w\s]|_)")


def _sacrebleu(feature: str):
    try:
        import sacrebleu
    except ImportError as e:
        raise MissingDependencyError("sacrebleu", "translation", feature) from e
    return sacrebleu


def _pairs(hypotheses, references):
    hypotheses = check_texts("hypotheses", hypotheses)
    references = check_texts("references", references)
    check_same_length("hypotheses", hypotheses, "references", references)
    return hypotheses, references


def corpus_bleu(
    hypotheses: Sequence[str], references: Sequence[str], *, tokenize: str = "13a"
) -> float:
    """Corpus BLEU (Papineni et al. 2002) on a 0-100 scale, one reference per sentence.

    Args:
        hypotheses: System outputs.
        references: Reference translations, aligned with `hypotheses`.
        tokenize: sacrebleu tokenizer ('13a' is the WMT standard; 'char' for character level).

    Returns:
        The BLEU score.

    Raises:
        MissingDependencyError: sacrebleu is not installed.
        ValueError: The two lists differ in length or are empty.

    Example:
        >>> corpus_bleu(["the cat sat on the mat"], ["the cat sat on the mat"])
        100.00000000000004
    """
    hypotheses, references = _pairs(hypotheses, references)
    sacrebleu = _sacrebleu("BLEU")
    return float(sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score)


def bleu_with_signature(
    hypotheses: Sequence[str],
    references: Sequence[str],
    *,
    tokenize: str = "13a",
    lowercase: bool = False,
    force: bool = False,
) -> tuple[float, str]:
    """Corpus BLEU and sacreBLEU's signature string (what was scored, and how).

    Args:
        hypotheses: System outputs (detokenised text).
        references: Reference translations as they are (not lowercased or tokenised).
        tokenize: sacrebleu tokenizer ('13a', or 'char' at the character level).
        lowercase: Lowercase both sides first (sacrebleu's `-lc`).
        force: The text is tokenised on purpose: no warning about tokenised input.

    Returns:
        `(score, signature)`, e.g. `(34.1, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|...")`.

    Raises:
        MissingDependencyError: sacrebleu is not installed.
        ValueError: The two lists differ in length or are empty.

    Example:
        >>> score, sig = bleu_with_signature(["The cat sat."], ["The cat sat."])
        >>> round(score), sig.split("|")[:4]
        (100, ['nrefs:1', 'case:mixed', 'eff:no', 'tok:13a'])
    """
    hypotheses, references = _pairs(hypotheses, references)
    sacrebleu = _sacrebleu("BLEU")
    metric = sacrebleu.metrics.BLEU(tokenize=tokenize, lowercase=lowercase, force=force)
    score = metric.corpus_score(hypotheses, [references]).score
    return float(score), str(metric.get_signature())


def lowercase_tokenize(text: str) -> str:
    """Lowercase `text` and split off every character that is not a letter, digit or space:
    the form older papers (and nlpkit before subwords) scored BLEU on.

    Example:
        >>> lowercase_tokenize("A man's hat, orange.")
        "a man ' s hat , orange ."
    """
    return " ".join(_PUNCT.sub(r" \1 ", text.lower()).split())


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF (Popovic 2015), character n-gram F-score on a 0-100 scale.

    Raises:
        MissingDependencyError: sacrebleu is not installed.
        ValueError: The two lists differ in length or are empty.

    Example:
        >>> round(corpus_chrf(["abc"], ["abc"]), 1)
        100.0
    """
    hypotheses, references = _pairs(hypotheses, references)
    sacrebleu = _sacrebleu("chrF")
    return float(sacrebleu.corpus_chrf(hypotheses, [references]).score)


def exact_match(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Fraction of hypotheses identical to their reference (after stripping outer whitespace).

    Example:
        >>> exact_match(["2020-01-01", "2020-01-02"], ["2020-01-01", "2020-01-03"])
        0.5
    """
    hypotheses, references = _pairs(hypotheses, references)
    hits = sum(h.strip() == r.strip() for h, r in zip(hypotheses, references, strict=True))
    return hits / len(references)


def _tokens(text: str, level: str) -> list[str]:
    return list(text) if level == "char" else text.split()


def token_accuracy(
    hypotheses: Sequence[str], references: Sequence[str], *, level: str = "word"
) -> float:
    """Position-wise token accuracy: correct tokens / reference tokens.

    Token `i` of a hypothesis counts as correct when it equals token `i` of its reference;
    missing or extra tokens count as errors (the denominator is `max(len(hyp), len(ref))` summed
    over sentences).

    Args:
        hypotheses: System outputs.
        references: Reference translations.
        level: 'word' (whitespace tokens) or 'char'.

    Example:
        >>> token_accuracy(["a b c"], ["a x c"])
        0.6666666666666666
    """
    check_choice("level", level, ("word", "char"))
    hypotheses, references = _pairs(hypotheses, references)
    correct = total = 0
    for h, r in zip(hypotheses, references, strict=True):
        ht, rt = _tokens(h, level), _tokens(r, level)
        correct += sum(a == b for a, b in zip(ht, rt, strict=False))
        total += max(len(ht), len(rt))
    return correct / total if total else 1.0


def translation_metrics(
    hypotheses: Sequence[str], references: Sequence[str], *, level: str = "word"
) -> dict[str, float | str]:
    """BLEU (with its signature), the lowercased tokenised BLEU, chrF, exact match and token
    accuracy of detokenised `hypotheses` against raw `references`.

    Args:
        hypotheses: System outputs, as text.
        references: Reference translations as they are.
        level: 'word' (BLEU with sacrebleu's '13a' tokenizer, tokens split at spaces) or 'char'
            (its 'char' tokenizer, tokens are characters).

    Returns:
        `{"bleu", "bleu_signature", "bleu_lowercased_tokenized", "chrf", "exact_match",
        "token_accuracy"}`: `bleu` is cased; `bleu_lowercased_tokenized` first lowercases both
        sides and splits punctuation off (`lowercase_tokenize`).

    Example:
        >>> m = translation_metrics(["Ein Mann mit einem roten Hut."],
        ...                         ["ein Mann mit einem roten Hut ."])
        >>> round(m["bleu"], 1), round(m["bleu_lowercased_tokenized"], 1)
        (80.9, 100.0)
    """
    check_choice("level", level, ("word", "char"))
    tokenize = "char" if level == "char" else "13a"
    bleu, signature = bleu_with_signature(hypotheses, references, tokenize=tokenize)
    lowered = [lowercase_tokenize(t) for t in hypotheses]
    lowered_refs = [lowercase_tokenize(t) for t in references]
    old_bleu, _ = bleu_with_signature(lowered, lowered_refs, tokenize=tokenize, force=True)
    return {
        "bleu": bleu,
        "bleu_signature": signature,
        "bleu_lowercased_tokenized": old_bleu,
        "chrf": corpus_chrf(hypotheses, references),
        "exact_match": exact_match(hypotheses, references),
        "token_accuracy": token_accuracy(hypotheses, references, level=level),
    }
