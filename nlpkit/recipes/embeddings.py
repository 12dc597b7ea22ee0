"""`task = "embeddings"` recipes: load or train word vectors, then analyse them.

A recipe (TOML) with ``task = "embeddings"`` has these tables, all optional:

- ``[vectors]``: ``source`` (preset name or file path, default ``"glove-6B-50d"``), ``format``,
  ``limit``, ``allow_download`` (default false).
- ``[train]``: ``method`` (``"none"``, ``"word2vec"``, ``"fasttext"`` or ``"glove"``),
  ``corpus`` (a text file, one sentence a line, resolved beside the recipe first, then in the
  current folder; or ``"lee"`` for gensim's lee_background.cor), ``lowercase`` and
  ``strip_punctuation`` (both default true), and the trainer's keyword arguments under
  ``[train.options]``. When a method is given the trained vectors are analysed instead of
  ``[vectors]``, and saved to ``save`` (``.kv``).
- ``[analysis]``: ``neighbours`` (words), ``analogies`` (``[a, b, c]`` triples), ``evaluate``
  (names among ``"analogies"``, ``"wordsim353"``, ``"simlex999"``), ``restrict_vocab``,
  ``vocabulary`` (words for an `embedding_matrix` OOV report), ``debias_words`` (words whose
  gender projection is shown before and after `debias`).

Run one with ``nlpkit run pipelines/embeddings-glove.toml``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from nlpkit.recipes.common import resolve_path, validated
from nlpkit.utils.validation import check_choice

__all__ = ["run_recipe"]


def _corpus(spec: str, recipe_path, lowercase: bool, strip_punctuation: bool):
    from nlpkit.embeddings.training import TokenCorpus

    if spec == "lee":
        from gensim.test.utils import datapath

        path = Path(datapath("lee_background.cor"))
    else:
        path = resolve_path(spec, recipe_path, "train.corpus")
    return TokenCorpus(path, lowercase=lowercase, strip_punctuation=strip_punctuation)


def run_recipe(recipe: dict, recipe_path: str | os.PathLike | None = None) -> dict:
    """Run an embeddings recipe (see the module docstring) and return a JSON-safe summary.

    Returns:
        A summary: vectors (size, dimension, load or training time), neighbours, analogy answers,
        evaluation scores, the OOV report and the debiasing projections.

    Raises:
        ValueError: An unknown option value (named with the value received).
    """
    recipe = validated(recipe, "embeddings", recipe_path)
    import nlpkit.embeddings as emb

    vec_cfg = dict(recipe.get("vectors", {}))
    train_cfg = dict(recipe.get("train", {}))
    ana = dict(recipe.get("analysis", {}))
    summary: dict[str, Any] = {"task": "embeddings", "recipe": str(recipe_path)}

    method = check_choice(
        "train.method", train_cfg.get("method", "none"), ("none", "word2vec", "fasttext", "glove")
    )
    start = time.perf_counter()
    if method == "none":
        source = vec_cfg.get("source", "glove-6B-50d")
        kv = emb.load(
            source,
            format=vec_cfg.get("format"),
            limit=vec_cfg.get("limit"),
            allow_download=bool(vec_cfg.get("allow_download", False)),
        )
        summary["vectors"] = {
            "source": str(source),
            "load_seconds": round(time.perf_counter() - start, 2),
        }
    else:
        corpus = _corpus(
            train_cfg.get("corpus", "lee"),
            recipe_path,
            bool(train_cfg.get("lowercase", True)),
            bool(train_cfg.get("strip_punctuation", True)),
        )
        options = dict(train_cfg.get("options", {}))
        if method == "glove":
            glove = emb.GloVe(**options).fit(corpus)
            kv = glove.wv_
            summary["glove_loss"] = [round(v, 5) for v in glove.loss_history_]
        else:
            trainer = emb.train_word2vec if method == "word2vec" else emb.train_fasttext
            kv = trainer(corpus, **options)
        summary["vectors"] = {
            "trained": method,
            "corpus": str(train_cfg.get("corpus", "lee")),
            "train_seconds": round(time.perf_counter() - start, 2),
        }
        if train_cfg.get("save"):
            out = Path(train_cfg["save"])
            out.parent.mkdir(parents=True, exist_ok=True)
            kv.save(str(out))
            summary["vectors"]["saved"] = str(out)
    summary["vectors"].update({"words": len(kv.index_to_key), "dim": int(kv.vector_size)})

    restrict = ana.get("restrict_vocab", 100_000)
    neighbours = {}
    for word in ana.get("neighbours", []):
        if word in kv:
            neighbours[word] = [w for w, _ in emb.most_similar(kv, word, topn=5)]
        else:
            neighbours[word] = "not in the vocabulary"
    if neighbours:
        summary["neighbours"] = neighbours
    answers = {}
    for a, b, c in ana.get("analogies", []):
        key = f"{a} : {b} :: {c} : ?"
        try:
            answers[key] = emb.analogy(kv, a, b, c, restrict_vocab=restrict)
        except KeyError as e:
            answers[key] = str(e.args[0])
    if answers:
        summary["analogies"] = answers
    scores = {}
    for name in ana.get("evaluate", []):
        check_choice("analysis.evaluate", name, ("analogies", "wordsim353", "simlex999"))
        if name == "analogies":
            r = emb.evaluate_analogies(kv, restrict_vocab=restrict, verbose=1)
            scores[name] = {
                k: round(r[k], 4)
                for k in ("accuracy", "semantic_accuracy", "syntactic_accuracy", "oov_rate")
            }
        else:
            r = emb.evaluate_similarity(kv, name)
            scores[name] = {k: round(r[k], 4) for k in ("spearman", "oov_rate")}
    if scores:
        summary["evaluation"] = scores
    if ana.get("vocabulary"):
        vocab = ["", "[UNK]", *ana["vocabulary"]]
        _, report = emb.embedding_matrix(vocab, kv, log=False)
        summary["oov_report"] = str(report)
    if ana.get("debias_words"):
        words = [w for w in ana["debias_words"] if w in kv.key_to_index]
        direction = emb.bias_direction(kv)
        debiased = emb.debias(kv, direction=direction)
        before = emb.bias_projection(kv, words, direction)
        after = emb.bias_projection(debiased, words, direction)
        summary["debias_projection"] = {w: [round(before[w], 3), round(after[w], 3)] for w in words}
    summary["seconds"] = round(time.perf_counter() - start, 1)
    return summary
