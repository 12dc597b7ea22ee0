import numpy as np
import pytest
from gensim.models import KeyedVectors

import nlpkit.embeddings as emb
from nlpkit.errors import DataFormatError


@pytest.fixture(scope="module")
def structured():
    """Base words b<i> and derived words d<i> = b<i> + a shared offset + noise; a few capitalised
    variants, so that 3CosAdd solves most (not all) of b_i : d_i :: b_j : d_j."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 10))
    offset = rng.normal(size=10) * 0.8
    derived = base + offset + rng.normal(scale=0.6, size=(40, 10))
    words = [f"b{i}" for i in range(40)] + [f"d{i}" for i in range(40)] + ["B3", "D5"]
    vectors = np.vstack([base, derived, rng.normal(size=(2, 10))]).astype(np.float32)
    kv = KeyedVectors(10, count=0, dtype=np.float32)
    kv.add_vectors(words, vectors)
    return kv


@pytest.fixture(scope="module")
def questions(tmp_path_factory):
    rng = np.random.default_rng(1)
    path = tmp_path_factory.mktemp("q") / "questions.txt"
    lines = [": family-like"]
    for _ in range(60):
        i, j = rng.choice(40, size=2, replace=False)
        lines.append(f"b{i} d{i} b{j} d{j}")
    lines += [": gram-like", "B1 D1 b2 d2", "b3 d3 B5 d5", "b1 d1 b2 unknownword"]
    for _ in range(30):
        i, j = rng.choice(40, size=2, replace=False)
        lines.append(f"d{i} b{i} d{j} b{j}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("restrict_vocab", [None, 60])
def test_analogies_match_gensim(structured, questions, restrict_vocab):
    ours = emb.evaluate_analogies(
        structured, questions, restrict_vocab=restrict_vocab, batch_size=7
    )
    score, sections = structured.evaluate_word_analogies(
        str(questions), restrict_vocab=restrict_vocab or 10**9
    )
    total = sections[-1]
    assert ours["correct"] == len(total["correct"])
    assert ours["evaluated"] == len(total["correct"]) + len(total["incorrect"])
    assert ours["accuracy"] == pytest.approx(score)
    assert 0.2 < ours["accuracy"] < 1.0  # informative: neither all right nor all wrong
    assert ours["total"] == 93
    assert ours["oov_rate"] == pytest.approx(1 - ours["evaluated"] / 93)
    for s in sections[:-1]:
        mine = ours["sections"][s["section"]]
        assert mine["correct"] == len(s["correct"])
    fam, gram = ours["sections"]["family-like"], ours["sections"]["gram-like"]
    assert ours["semantic_accuracy"] == pytest.approx(fam["accuracy"])
    assert ours["syntactic_accuracy"] == pytest.approx(gram["accuracy"])


def test_most_similar_and_analogy_by_hand():
    kv = KeyedVectors(3, count=0, dtype=np.float32)
    words = {
        "man": [1, 0, 0],
        "woman": [1, 1, 0],
        "king": [1, 0, 1],
        "queen": [1, 1, 1],
        "apple": [0, 0, -1],
    }
    kv.add_vectors(list(words), np.array(list(words.values()), np.float32))
    # b - a + c with unit vectors: computed by hand
    unit = {w: np.array(v) / np.linalg.norm(v) for w, v in words.items()}
    target = unit["king"] - unit["man"] + unit["woman"]
    cos = {w: float(unit[w] @ target / np.linalg.norm(target)) for w in ["queen", "apple"]}
    assert emb.analogy(kv, "man", "king", "woman") == "queen"
    (best, score), *_ = emb.analogy(kv, "man", "king", "woman", topn=2)
    assert best == "queen" and score == pytest.approx(cos["queen"], rel=1e-5)
    assert emb.most_similar(kv, "king", topn=1)[0][0] in {"man", "queen"}
    with pytest.raises(KeyError, match=r"'kong' \(in `positive`\) is not in the vocabulary"):
        emb.analogy(kv, "man", "kong", "woman")
    with pytest.raises(ValueError, match="`topn` must be >= 1"):
        emb.most_similar(kv, "king", topn=0)


def test_similarity_matches_gensim(structured, tmp_path):
    path = tmp_path / "pairs.tsv"
    rng = np.random.default_rng(2)
    lines = ["# word1\tword2\tscore"]
    for _ in range(30):
        i, j = rng.choice(40, size=2)
        lines.append(f"b{i}\t{'d' if rng.random() < 0.5 else 'b'}{j}\t{rng.uniform(0, 10):.2f}")
    lines.append("b1\tnotaword\t3.0")
    path.write_text("\n".join(lines) + "\n")
    ours = emb.evaluate_similarity(structured, path)
    pearson, spearman, oov = structured.evaluate_word_pairs(str(path))
    assert ours["spearman"] == pytest.approx(spearman.statistic, abs=1e-6)
    assert ours["pearson"] == pytest.approx(pearson.statistic, abs=1e-5)
    assert ours["oov_rate"] == pytest.approx(oov / 100)
    assert (ours["pairs"], ours["evaluated"]) == (31, 30)


def test_builtin_datasets_are_read():
    sections = emb.read_analogies("questions-words")
    assert len(sections) == 14 and sum(len(q) for _, q in sections) == 19544
    assert sections[0][0] == "capital-common-countries"
    assert len(emb.read_word_pairs("wordsim353")) == 353
    assert len(emb.read_word_pairs("simlex999")) == 999


def test_malformed_files(tmp_path, structured):
    bad = tmp_path / "q.txt"
    bad.write_text(": s\nb1 d1 b2 d2\nb1 d1 b2\n")
    with pytest.raises(DataFormatError, match=r"q\.txt, line 3: expected 4 words"):
        emb.evaluate_analogies(structured, bad)
    bad.write_text("b1 d1 b2 d2\n")
    with pytest.raises(DataFormatError, match="line 1: a question before the first"):
        emb.read_analogies(bad)
    pairs = tmp_path / "p.tsv"
    pairs.write_text("# c\nb1\tb2\t1.0\nb1\tb3\thigh\n")
    with pytest.raises(DataFormatError, match=r"p\.tsv, line 3: the score 'high' is not a number"):
        emb.evaluate_similarity(structured, pairs)
    pairs.write_text("b1 b2 1.0\n")
    with pytest.raises(DataFormatError, match="line 1: expected 3 tab-separated fields"):
        emb.read_word_pairs(pairs)
    with pytest.raises(FileNotFoundError, match="built-in names: questions-words"):
        emb.read_word_pairs(tmp_path / "nope.tsv")
    empty = tmp_path / "oov.txt"
    empty.write_text(": s\nx y z w\n")
    with pytest.raises(ValueError, match="None of the 1 questions"):
        emb.evaluate_analogies(structured, empty)
