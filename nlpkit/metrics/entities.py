"""Entity-level precision, recall and F1, computed exactly as the CoNLL `conlleval` script does.

A predicted entity counts as correct when a gold entity has the same first token, last token and
type. Chunks are read with conlleval's rules (`nlpkit.text.tags.get_spans`), so IOB1, IOB2 and
IOBES tags are all accepted. Precision is 0 when nothing is predicted, recall 0 when there is no
gold entity, F1 0 when both are 0 (as conlleval prints them). Values are fractions in [0, 1]
(conlleval prints percentages).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from nlpkit.text.tags import get_spans
from nlpkit.utils.validation import check_same_length, check_token_lists

__all__ = ["entity_scores", "format_report"]


def _prf(correct: int, guessed: int, gold: int) -> tuple[float, float, float]:
    p = correct / guessed if guessed else 0.0
    r = correct / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def entity_scores(
    y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]
) -> dict[str, float]:
    """Score predicted tag sequences against gold ones, the conlleval way.

    Args:
        y_true: Gold tags, one list per sentence.
        y_pred: Predicted tags, same shape as `y_true`.

    Returns:
        A dict with `precision`, `recall`, `f1` (micro-averaged over all entities),
        `accuracy` (token-level tag accuracy, as conlleval reports it), and for each entity type
        T found in either side `T/precision`, `T/recall`, `T/f1`, `T/support` (gold count).

    Raises:
        TypeError: inputs are not lists of tag lists.
        ValueError: lengths differ, or a tag is malformed.

    Example:
        >>> s = entity_scores([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])
        >>> s["f1"], s["PER/f1"]
        (1.0, 1.0)
    """
    y_true = check_token_lists("y_true", y_true)
    y_pred = check_token_lists("y_pred", y_pred)
    check_same_length("y_true", y_true, "y_pred", y_pred)
    correct, guessed, gold = Counter(), Counter(), Counter()
    tokens = correct_tags = 0
    for i, (t, p) in enumerate(zip(y_true, y_pred, strict=True)):
        if len(t) != len(p):
            raise ValueError(
                f"Sentence {i}: `y_true` has {len(t)} tags but `y_pred` has {len(p)}; "
                "each prediction needs one tag per token."
            )
        tokens += len(t)
        correct_tags += sum(a == b for a, b in zip(t, p, strict=True))
        gold_spans = set(get_spans(t))
        pred_spans = set(get_spans(p))
        gold.update(s.label for s in gold_spans)
        guessed.update(s.label for s in pred_spans)
        correct.update(s.label for s in gold_spans & pred_spans)
    p, r, f = _prf(sum(correct.values()), sum(guessed.values()), sum(gold.values()))
    scores = {
        "precision": p,
        "recall": r,
        "f1": f,
        "accuracy": correct_tags / tokens if tokens else 0.0,
    }
    for kind in sorted(set(gold) | set(guessed)):
        kp, kr, kf = _prf(correct[kind], guessed[kind], gold[kind])
        scores[f"{kind}/precision"] = kp
        scores[f"{kind}/recall"] = kr
        scores[f"{kind}/f1"] = kf
        scores[f"{kind}/support"] = float(gold[kind])
    return scores


def format_report(scores: dict[str, float]) -> str:
    """Format `entity_scores` output as a small conlleval-like text table (percentages)."""
    lines = [
        f"accuracy: {100 * scores['accuracy']:6.2f}%; precision: {100 * scores['precision']:6.2f}%; "
        f"recall: {100 * scores['recall']:6.2f}%; FB1: {100 * scores['f1']:6.2f}"
    ]
    kinds = sorted({k.split("/")[0] for k in scores if "/" in k})
    for kind in kinds:
        lines.append(
            f"{kind:>17}: precision: {100 * scores[kind + '/precision']:6.2f}%; "
            f"recall: {100 * scores[kind + '/recall']:6.2f}%; FB1: {100 * scores[kind + '/f1']:6.2f}  "
            f"{int(scores[kind + '/support'])}"
        )
    return "\n".join(lines)
