"""Each task's recipe runner end to end on tiny data: fit, evaluate, save (loadable with
`nlpkit.load`, identical predictions) and export, through `nlpkit.recipes.run_recipe`."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import nlpkit
from nlpkit.cli import main
from nlpkit.recipes import run_recipe

TEXTS = [
    "i loved this movie",
    "great acting",
    "a wonderful film",
    "awful plot",
    "i hated it",
    "bad",
]
LABELS = ["pos", "pos", "pos", "neg", "neg", "neg"]


def test_classification_saves_and_exports_through_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.csv").write_text(
        "text,label\n"
        + "".join(f'"{t}",{lab}\n' for t, lab in zip(TEXTS * 3, LABELS * 3, strict=True))
    )
    recipe = tmp_path / "recipes" / "r.toml"
    recipe.parent.mkdir()
    recipe.write_text(
        'task = "classification"\nname = "tiny"\nseed = 0\n'
        '[data]\nformat = "csv"\ntrain = "../data/d.csv"\ntest_fraction = 0.3\n'  # beside the recipe
        '[model]\ncell = "gru"\nhidden_size = 8\nembedding_dim = 8\nverbose = 0\n'
        '[fit]\nepochs = 2\n[output]\nsave = "out/saved"\nexport = true\n'
    )
    assert main(["run", str(recipe), "--summary", "out/summary.json", "--set", "fit.epochs=1"]) == 0
    assert '"task": "classification"' in (tmp_path / "out" / "summary.json").read_text()
    loaded = nlpkit.load(tmp_path / "out" / "saved")
    served = tf.saved_model.load(str(tmp_path / "saved_models" / "tiny" / "1"))
    scores = served.signatures["serving_default"](tf.constant(TEXTS))["scores"].numpy()
    np.testing.assert_allclose(scores, loaded.predict_proba(TEXTS), atol=1e-5)


def test_classification_reads_a_headerless_csv_by_column_index(tmp_path):
    """`[data] header = false` with `text_column`/`label_column` as indices (the Emojify file),
    and `[model] pretrained_words = "all"` standing for None."""
    from gensim.models import KeyedVectors

    data = tmp_path / "d.csv"
    data.write_text(
        "".join(f'"{t}",{i % 2}\n' for i, t in enumerate(["a b", "c d"] * 6)), encoding="utf-8"
    )
    kv = KeyedVectors(4)
    kv.add_vectors(["a", "b", "c", "d", "zz"], np.eye(5, 4, dtype="float32"))
    kv_path = tmp_path / "vec.txt"
    kv.save_word2vec_format(str(kv_path))
    recipe = {
        "task": "classification",
        "data": {
            "format": "csv",
            "train": str(data),
            "header": False,
            "text_column": 0,
            "label_column": 1,
            "test_fraction": 0.25,
        },
        "model": {
            "encoder": "mean",
            "embeddings": str(kv_path),
            "pretrained_words": "all",
            "verbose": 0,
        },
        "fit": {"epochs": 1},
        "output": {"save": str(tmp_path / "saved"), "export": False},
    }
    out = run_recipe(recipe, tmp_path / "r.toml")
    assert out["train_examples"] + out["validation_examples"] + out["test_examples"] == 12
    clf = nlpkit.load(out["saved"])
    assert clf.pretrained_words is None and "zz" in clf.vocabulary_
    assert set(clf.classes_) == {0, 1}
    recipe["data"]["text_column"] = "text"
    with pytest.raises(ValueError, match="text_column"):
        run_recipe(recipe, tmp_path / "r.toml")


def test_cli_prints_deprecations_and_errors_without_traceback(tmp_path, capsys):
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        'task = "classification"\n[data]\nformat = "csv"\ntrain = "missing.csv"\n'
        'valid_fraction = 0.2\n[export]\nroot = "exports"\n'
    )
    assert main(["run", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert "nlpkit: warning: " in err and "[data] valid_fraction is deprecated" in err
    assert "the [export] table is deprecated" in err
    assert "nlpkit: error: " in err and "`data.train`: Data not found: 'missing.csv'" in err
    assert "Traceback" not in err


class _Fake:
    export_name = "fake"

    def save(self, folder):
        return Path(folder)

    def export(self, folder):
        return Path(folder)


def test_output_table_paths(tmp_path, monkeypatch):
    from nlpkit.recipes.common import save_and_export

    monkeypatch.chdir(tmp_path)
    (tmp_path / "old" / "x" / "3").mkdir(parents=True)
    out = save_and_export(
        _Fake(), {"name": "x", "output": {"export": True, "_export_root": "old"}}, {}
    )
    assert out == {"exported": str(Path("old/x/4"))}
    out = save_and_export(_Fake(), {"output": {"save": True}}, {})
    assert out == {
        "saved": str(Path("saved_models/fake-pipeline")),
        "exported": str(Path("saved_models/fake/1")),
    }
    out = save_and_export(_Fake(), {"output": {"save": "s", "export": False}}, {})
    assert out == {"saved": "s"}


@pytest.mark.parametrize(
    ("module", "task"),
    [("classifier", "classification"), ("tagger", "ner"), ("chargen", "chargen"),
     ("music", "music"), ("translator", "translation")],
)  # fmt: skip
def test_old_run_recipe_names_call_the_recipes_package(tmp_path, module, task):
    import importlib

    old = importlib.import_module(f"nlpkit.pipelines.{module}").run_recipe
    with pytest.raises(ValueError, match=rf"{tmp_path / 'r.toml'}: \[data\] has no key 'nope'"):
        old({"task": task, "data": {"nope": 1}}, tmp_path / "r.toml")


def test_ner_sample_saves_and_exports(tmp_path):
    recipe = {
        "task": "ner",
        "data": {"sample": True, "sample_dir": str(tmp_path / "sample"), "sample_train": 30, "sample_dev": 10},
        "model": {"embedding_dim": 8, "hidden_size": 8, "char_encoder": "none", "pretrained_words": "all", "verbose": 0},
        "fit": {"epochs": 1},
        "output": {"save": str(tmp_path / "saved"), "export": str(tmp_path / "exported")},
    }  # fmt: skip
    summary = run_recipe(recipe, tmp_path / "ner-sample.toml")
    assert summary["data"].startswith("SYNTHETIC SAMPLE") and summary["train_sentences"] == 30
    assert 0.0 <= summary["dev_f1"] <= 1.0
    tagger = nlpkit.load(summary["saved"])
    assert tagger.pretrained_words is None
    assert [e._asdict() for e in tagger.predict([summary["example"]["text"]])[0]] == summary[
        "example"
    ]["entities"]
    assert (Path(summary["exported"]) / "saved_model.pb").is_file()


def test_chargen_names_saves_and_exports(tmp_path):
    pytest.importorskip("names")
    recipe = {
        "task": "chargen",
        "data": {"source": "names", "case": "title", "max_items": 60},
        "model": {"hidden_size": 8, "seed": 0, "cell": "gru", "verbose": 0},
        "fit": {"epochs": 1},
        "generate": {"n": 3, "max_length": 12},
        "output": {"save": str(tmp_path / "saved"), "export": str(tmp_path / "exp")},
    }
    summary = run_recipe(recipe, Path("pipelines/chargen-names.toml"))
    assert summary["train_items"] == 54 and summary["validation_items"] == 6
    assert len(summary["samples"]) == 3 and len(summary["export_samples"]) == 2
    assert summary["validation"]["nats_per_char"] > 0
    assert (tmp_path / "exp" / "saved_model.pb").is_file()
    loaded = nlpkit.load(tmp_path / "saved")
    assert loaded.generate(n=3, max_length=12, seed=0) == summary["samples"]


def test_music_corpus_writes_midi_saves_and_exports(tmp_path):
    music21 = pytest.importorskip("music21")
    recipe = {
        "task": "music",
        "data": {"source": "corpus", "query": "bach/chorales", "limit": 3, "validation_fraction": 0.34},
        "model": {"hidden_size": 8, "num_layers": 1, "embedding_dim": 4, "seed": 0, "verbose": 0},
        "fit": {"epochs": 1},
        "generate": {"max_length": 8, "seed": 1, "midi": str(tmp_path / "bach.mid")},
        "output": {"save": str(tmp_path / "saved"), "export": str(tmp_path / "export")},
    }  # fmt: skip
    summary = run_recipe(recipe, tmp_path / "recipe.toml")
    assert summary["training_pieces"] == 2
    assert summary["validation"]["nll_per_step"] > 0
    assert len(music21.converter.parse(summary["midi"]).flatten().notes) >= 1
    assert (tmp_path / "export" / "saved_model.pb").is_file()
    gen = nlpkit.load(tmp_path / "saved")
    assert gen.generate_events(max_length=8, seed=1) == gen.generate_events(max_length=8, seed=1)


SOURCES = ["the cat sleeps .", "a dog runs", "the dog sleeps", "a cat runs fast", "birds sing !"]
TARGETS = [
    "die katze schläft .",
    "ein hund rennt",
    "der hund schläft",
    "eine katze rennt",
    "vögel singen !",
]


def test_translation_dates_and_parallel(tmp_path):
    pytest.importorskip("faker")
    recipe = {
        "task": "translation",
        "data": {"kind": "dates", "train_size": 40, "validation_size": 8, "seed": 0},
        "model": {"level": "char", "hidden_size": 4, "embedding_dim": 4, "beam_width": 1, "verbose": 0},
        "fit": {"epochs": 1},
        "plot": {"path": str(tmp_path / "heat.png")},
        "output": {"export": False, "save": str(tmp_path / "saved")},
        "examples": {"sources": ["3 May 2001"]},
    }  # fmt: skip
    summary = run_recipe(recipe, tmp_path / "r.toml")
    assert set(summary["validation"]) == {
        "bleu",
        "bleu_signature",
        "bleu_lowercased_tokenized",
        "chrf",
        "exact_match",
        "token_accuracy",
    }
    assert list(summary["examples"]) == ["3 May 2001"] and "exported" not in summary
    assert (tmp_path / "heat.png").is_file()
    assert nlpkit.load(summary["saved"]).predict(["3 May 2001"]) == [
        summary["examples"]["3 May 2001"]
    ]
    from nlpkit.recipes.translation import read_data

    (tmp_path / "corpus").mkdir()
    for split, n in (("train", 3), ("val", 2)):
        (tmp_path / "corpus" / f"{split}.en").write_text(
            "\n".join(SOURCES[:n]) + "\n", encoding="utf-8"
        )
        (tmp_path / "corpus" / f"{split}.de").write_text(
            "\n".join(TARGETS[:n]) + "\n", encoding="utf-8"
        )
    data = {"kind": "parallel", "path": "corpus", "suffix": ""}
    (tx, ty), (vx, vy) = read_data(data, tmp_path / "r.toml")
    assert tx == SOURCES[:3] and ty == TARGETS[:3] and vx == SOURCES[:2] and vy == TARGETS[:2]


def test_classification_recipe_streams_a_glob_of_files(tmp_path):
    for i in range(2):
        rows = zip(TEXTS[i::2] * 2, LABELS[i::2] * 2, strict=True)
        (tmp_path / f"part-{i}.csv").write_text(
            "text,label\n" + "".join(f'"{t}",{lab}\n' for t, lab in rows)
        )
    (tmp_path / "test.csv").write_text(
        "text,label\n" + "".join(f'"{t}",{lab}\n' for t, lab in zip(TEXTS, LABELS, strict=True))
    )
    recipe = {
        "task": "classification",
        "seed": 0,
        "data": {
            "stream": True,
            "train": "part-*.csv",
            "validation": "test.csv",
            "test": "test.csv",
        },
        "model": {"cell": "gru", "hidden_size": 8, "embedding_dim": 8, "verbose": 0},
        "fit": {"epochs": 2},
        "output": {"export": False},
    }
    summary = run_recipe(recipe, tmp_path / "r.toml")  # the glob is matched beside the recipe
    assert summary["train_data"] == "streamed" and summary["train_examples"] == 12
    assert summary["test_examples"] == 6 and "accuracy" in summary["test_metrics"]
    with pytest.raises(ValueError, match="stream = true reads csv, tsv or jsonl"):
        run_recipe({**recipe, "data": {**recipe["data"], "format": "folder"}}, tmp_path / "r.toml")


def test_chargen_recipe_streams_a_glob_of_files(tmp_path):
    names = ["anna", "bella", "carla", "dora", "emma", "fiona"]
    (tmp_path / "part-0.txt").write_text("\n".join(names[:3]) + "\n")
    (tmp_path / "part-1.txt").write_text("\n".join(names[3:]) + "\n")
    (tmp_path / "val.txt").write_text("gina\nhilda\n")
    recipe = {
        "task": "chargen",
        "data": {"source": "file", "stream": True, "path": "part-*.txt", "validation": "val.txt"},
        "model": {"hidden_size": 8, "seed": 0, "cell": "gru", "verbose": 0},
        "fit": {"epochs": 1},
        "generate": {"n": 2, "max_length": 8},
        "output": {"save": False, "export": False},
    }
    summary = run_recipe(recipe, tmp_path / "r.toml")  # the glob is matched beside the recipe
    assert summary["train_data"] == "streamed" and summary["train_items"] == 6
    assert summary["validation_items"] == 2 and summary["validation"]["nats_per_char"] > 0
    assert len(summary["samples"]) == 2
    with pytest.raises(ValueError, match="stream = true reads the files as they are"):
        run_recipe({**recipe, "data": {**recipe["data"], "max_items": 3}}, tmp_path / "r.toml")


def test_translation_and_music_recipes_stream_their_files(tmp_path):
    import json

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sources, targets = ["a dog", "the cat", "a cat"], ["ein Hund", "die Katze", "eine Katze"]
    for split in ("train", "val"):
        (corpus / f"{split}.en").write_text("\n".join(sources) + "\n", encoding="utf-8")
        (corpus / f"{split}.de").write_text("\n".join(targets) + "\n", encoding="utf-8")
    recipe = {
        "task": "translation",
        "data": {"kind": "parallel", "path": "corpus", "suffix": "", "stream": True},
        "model": {"level": "word", "embedding_dim": 4, "hidden_size": 4, "beam_width": 1, "verbose": 0},
        "fit": {"epochs": 1},
        "output": {"save": False, "export": False},
    }  # fmt: skip
    summary = run_recipe(recipe, tmp_path / "r.toml")
    assert summary["train_data"] == "streamed" and summary["train_pairs"] == 3
    assert "bleu" in summary["validation"]
    with pytest.raises(ValueError, match="leave out `max_examples`"):
        run_recipe({**recipe, "data": {**recipe["data"], "max_examples": 2}}, tmp_path / "r.toml")

    pytest.importorskip("music21")
    chords = [[60, 64, 67], [62, 65, 69], [64, 67, 71], []]
    (tmp_path / "jsb.json").write_text(json.dumps({"train": [chords * 3], "valid": [chords]}))
    recipe = {
        "task": "music",
        "data": {"source": "jsb", "path": "jsb.json", "stream": True},
        "model": {"representation": "piano_roll", "hidden_size": 4, "num_layers": 1, "sequence_length": 4, "seed": 0, "verbose": 0},
        "fit": {"epochs": 1},
        "generate": {"max_length": 4, "seed": 1, "midi": str(tmp_path / "jsb.mid")},
        "output": {"save": False, "export": False},
    }  # fmt: skip
    summary = run_recipe(recipe, tmp_path / "r.toml")
    assert summary["train_data"] == "streamed" and summary["training_pieces"] == 1
    assert summary["validation"]["nll_per_step"] > 0
    with pytest.raises(ValueError, match="stream = true reads files"):
        run_recipe({**recipe, "data": {"source": "corpus", "stream": True}}, tmp_path / "r.toml")
