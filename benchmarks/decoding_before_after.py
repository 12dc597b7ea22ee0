"""Before/after check of the decoding refactor (issue 12): same outputs, same speed.

Run once with the code before `nlpkit.decoding` (e.g. `git archive 8b5bcd9 nlpkit | tar -x -C OLD`)
and once with the current code, on the same saved tiny models:

    PYTHONPATH=OLD python benchmarks/decoding_before_after.py make old.json   # train, save, record
    PYTHONPATH=.   python benchmarks/decoding_before_after.py check new.json  # load, record
    PYTHONPATH=OLD python benchmarks/decoding_before_after.py speed           # generation timings
    PYTHONPATH=.   python benchmarks/decoding_before_after.py speed

and compare the two JSON files key by key. Models go to $NLPKIT_DECODING_REF (default
/tmp/nlpkit_decoding_ref). Results: benchmarks/RESULTS.md, "Decoding refactor".
"""

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(os.environ.get("NLPKIT_DECODING_REF", "/tmp/nlpkit_decoding_ref"))


def speed():
    from nlpkit.pipelines.chargen import CharGenerator
    from nlpkit.pipelines.music import MusicGenerator
    from nlpkit.pipelines.translator import Translator

    src = SRC * 10
    tr, cg = Translator.load(ROOT / "tr"), CharGenerator.load(ROOT / "cg")
    mt = MusicGenerator.load(ROOT / "mt")
    jobs = {
        "translator_greedy_50": lambda: tr.predict(src, beam_width=1),
        "translator_beam3_50": lambda: tr.predict(src, beam_width=3),
        "chargen_sample_64": lambda: cg.generate("", n=64, seed=1, max_length=20),
        "chargen_beam4": lambda: cg.generate("", n=3, method="beam", beam_width=4, max_length=20),
        "music_tokens_64": lambda: mt.generate_events(None, 64, 1.0, seed=1),
    }
    out = {}
    for name, fn in jobs.items():
        fn()
        fn()
        times = []
        for _ in range(15):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        out[name] = min(times)
    print(json.dumps(out))


SRC = ["the cat sleeps .", "a dog runs", "the dog sleeps", "a cat runs fast", "birds sing !"]
TGT = [
    "die Katze schläft .",
    "ein Hund rennt",
    "der Hund schläft",
    "eine Katze rennt schnell",
    "Vögel singen !",
]


def record(mode, out_name):
    import keras

    from nlpkit.pipelines.chargen import CharGenerator
    from nlpkit.pipelines.music import MusicGenerator
    from nlpkit.pipelines.translator import Translator

    root = ROOT
    res = {}
    if mode == "make":
        keras.utils.set_random_seed(0)
        tr = Translator(
            embedding_dim=8,
            hidden_size=8,
            dropout=0.0,
            beam_width=3,
            batch_size=5,
            learning_rate=0.02,
            seed=0,
            verbose=0,
            early_stopping=None,
        ).fit(SRC, TGT, epochs=6)
        tr.save(root / "tr")
        gen = CharGenerator(
            hidden_size=16, num_layers=2, cell="gru", seed=0, verbose=0, early_stopping=None
        ).fit(["anna", "bella", "carla", "dana", "ella", "fiona"], epochs=3)
        gen.save(root / "cg")
        toks = [
            ["n60:1", "n62:1", "n64:0.5", "r:0.5", "n65:1", "n67:2"],
            ["n67:1", "n65:1", "n64:1", "n62:1", "n60:2"],
        ]
        mg = MusicGenerator(
            hidden_size=8,
            num_layers=2,
            embedding_dim=4,
            attention_window=3,
            sequence_length=8,
            batch_size=2,
            seed=0,
            verbose=0,
            early_stopping=None,
        ).fit(toks, epochs=2)
        mg.save(root / "mt")
        rng = np.random.default_rng(0)
        rolls = [(rng.random((10, 88)) < 0.05).astype(np.uint8) for _ in range(3)]
        for km in ("nade", "independent"):
            mp = MusicGenerator(
                representation="piano_roll",
                key_model=km,
                hidden_size=8,
                num_layers=1,
                nade_hidden=4,
                sequence_length=8,
                batch_size=2,
                seed=0,
                verbose=0,
                early_stopping=None,
            ).fit(rolls, epochs=1)
            mp.save(root / f"mp_{km}")
        np.save(root / "rolls.npy", np.stack(rolls))
    tr = Translator.load(root / "tr")
    inputs = SRC + ["a cat sleeps", ""]
    for bw in (1, 3):
        t, s = tr.predict(inputs, beam_width=bw, return_scores=True)
        res[f"tr_beam{bw}"] = [t, s]
    t, s = tr.predict(inputs, beam_width=4, length_penalty=1.0, return_scores=True)
    res["tr_beam4_lp"] = [t, s]
    res["tr_attention"] = [w.tolist() for w in tr.attention(SRC[:2])]
    gen = CharGenerator.load(root / "cg")
    res["cg_sample"] = gen.generate("", n=6, seed=3)
    res["cg_sample_prompt"] = gen.generate("be", n=4, seed=5, temperature=0.8)
    res["cg_topk"] = gen.generate("", n=6, seed=4, top_k=3, top_p=0.9)
    res["cg_greedy"] = gen.generate("a", method="greedy")
    res["cg_predict"] = gen.predict(["", "a", "ell", "fio"])
    res["cg_beam"] = gen.generate("", n=3, method="beam", beam_width=4)
    res["cg_beam_prompt"] = gen.generate("d", n=2, method="beam", beam_width=3, max_length=5)
    mt = MusicGenerator.load(root / "mt")
    res["mt"] = mt.generate_events(None, 12, 1.0, seed=7)
    res["mt_primer"] = mt.generate_events(["n60:1", "n62:1"], 8, 0.7, seed=2)
    res["mt_greedy"] = mt.generate_events(["n64:0.5"], 6, 0.0, seed=2)
    rolls = np.load(root / "rolls.npy")
    for km in ("nade", "independent"):
        mp = MusicGenerator.load(root / f"mp_{km}")
        res[f"mp_{km}"] = mp.generate_events(None, 5, 1.0, seed=3).tolist()
        res[f"mp_{km}_primer"] = mp.generate_events(rolls[0][:3], 4, 0.8, seed=1).tolist()
    json.dump(res, open(root / out_name, "w"))
    print("ok", len(res))


if __name__ == "__main__":
    if sys.argv[1] == "speed":
        speed()
    else:
        record(sys.argv[1], sys.argv[2])
