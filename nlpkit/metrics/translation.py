"""Translation metrics: corpus BLEU and chrF (through sacrebleu), exact match, token accuracy.

sacrebleu is an optional dependency (`pip install "nlpkit[translation]"`), imported only when
BLEU or chrF is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

from nlpkit.errors import MissingDependencyError
from nlpkit.utils.validation import check_choice, check_same_length, check_texts

__all__ = ["corpus_bleu", "corpus_chrf", "exact_match", "token_accuracy", "translation_metrics"]


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
) -> dict[str, float]:
    """All four metrics: `bleu`, `chrf`, `exact_match`, `token_accuracy`.

    BLEU uses sacrebleu's '13a' tokenizer for word-level text and its 'char' tokenizer for
    character-level text.
    """
    tokenize = "char" if level == "char" else "13a"
    return {
        "bleu": corpus_bleu(hypotheses, references, tokenize=tokenize),
        "chrf": corpus_chrf(hypotheses, references),
        "exact_match": exact_match(hypotheses, references),
        "token_accuracy": token_accuracy(hypotheses, references, level=level),
    }
