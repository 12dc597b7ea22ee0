"""`nlpkit predict / evaluate / info / export` on tiny models (in-process, through `cli.main`)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from nlpkit.cli import main

SENTENCES = ["Alice Smith lives in Paris .", "Bob works for Acme Corp in Berlin ."]


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lines(text: str) -> list[dict]:
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def test_predict_sentiment_saved_pipeline_and_export_agree(model_root, tmp_path, capsys):
    inp = tmp_path / "in.txt"
    inp.write_text('i loved this movie\n\n{"text": "boring and bad"}\n', encoding="utf-8")
    code, out, _ = run(capsys, "predict", str(model_root / "saved" / "sentiment"), str(inp))
    assert code == 0
    saved = lines(out)
    assert [r["label"] for r in saved] == ["pos", "neg"]
    assert [r["text"] for r in saved] == ["i loved this movie", "boring and bad"]
    assert set(saved[0]["probabilities"]) == {"neg", "pos"}
    assert saved[0]["probabilities"]["pos"] > 0.9
    # the exported model's parent folder (newest version) gives the same answer
    code, out, _ = run(capsys, "predict", str(model_root / "models" / "sentiment"), str(inp))
    exported = lines(out)
    assert [r["label"] for r in exported] == ["pos", "neg"]
    for a, b in zip(saved, exported, strict=True):
        for k in a["probabilities"]:
            assert a["probabilities"][k] == pytest.approx(b["probabilities"][k], abs=1e-5)


def test_predict_ner_from_stdin(model_root, capsys, monkeypatch):
    text = "\n".join(SENTENCES) + "\n"
    for model in (model_root / "saved" / "ner", model_root / "models" / "ner" / "1"):
        code, out, err = run(
            capsys,
            "predict",
            str(model),
            "-",
            "--batch-size",
            "1",
            stdin=text,
            monkeypatch=monkeypatch,
        )
        assert code == 0 and err == ""  # no progress output when stderr is not a terminal
        recs = lines(out)
        assert recs[0]["entities"] == [
            {"start": 0, "end": 11, "label": "PER", "text": "Alice Smith"},
            {"start": 21, "end": 26, "label": "LOC", "text": "Paris"},
        ]
        assert [e["text"] for e in recs[1]["entities"]] == ["Bob", "Acme Corp", "Berlin"]


def test_predict_errors(model_root, tmp_path, capsys):
    code, _, err = run(capsys, "predict", str(tmp_path / "missing"), "-")
    assert code == 2 and "does not exist" in err
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "predict", str(tmp_path / "empty"), "-")
    assert code == 2 and "neither a saved pipeline" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"txt": "x"}\n', encoding="utf-8")
    code, _, err = run(capsys, "predict", str(model_root / "models" / "sentiment"), str(bad))
    assert code == 2 and "line 1" in err and "'text'" in err
    code, _, err = run(
        capsys, "predict", str(model_root / "models" / "sentiment"), "--samples", "2"
    )
    assert code == 2 and "--samples is for generators" in err


def test_evaluate_saved_and_exported(model_root, tmp_path, capsys):
    csv = tmp_path / "test.csv"
    csv.write_text("text,label\ni loved this movie,pos\nboring and bad,neg\ni hated it,pos\n")
    for model in ("saved", "models"):
        code, out, _ = run(capsys, "evaluate", str(model_root / model / "sentiment"), str(csv))
        assert code == 0
        report = json.loads(out)
        assert report["task"] == "classification" and report["examples"] == 3
        assert report["metrics"]["accuracy"] == pytest.approx(2 / 3)
    conll = tmp_path / "dev.txt"
    conll.write_text(
        "Alice\tB-PER\nSmith\tI-PER\nlives\tO\nin\tO\nParis\tB-LOC\n.\tO\n\n"
        "Bob\tB-PER\nmet\tO\nMaria\tB-PER\n\n",
        encoding="utf-8",
    )
    scores = {}
    for model in ("saved", "models"):
        code, out, _ = run(capsys, "evaluate", str(model_root / model / "ner"), str(conll))
        assert code == 0
        scores[model] = json.loads(out)["metrics"]
    assert scores["saved"] == pytest.approx(scores["models"])
    assert scores["saved"]["LOC/f1"] == 1.0


def test_info(model_root, capsys):
    code, out, _ = run(capsys, "info", str(model_root / "models" / "ner"))
    info = json.loads(out)
    assert code == 0 and info["kind"] == "savedmodel" and info["task"] == "ner"
    assert info["version"] == 1 and info["versions"] == [1]
    assert info["signatures"]["serving_default"]["inputs"]["sentences"]["dtype"] == "string"
    code, out, _ = run(capsys, "info", str(model_root / "saved" / "sentiment"))
    info = json.loads(out)
    assert info["kind"] == "saved_pipeline"
    assert info["class"].endswith("SentimentClassifier") and info["config"]["hidden_size"] == 16
    assert info["model_card"]["seed"] == 0


def test_export_then_predict_newest_version(model_root, tmp_path, capsys):
    base = tmp_path / "exports" / "sentiment"
    for n in (1, 2):
        code, out, _ = run(
            capsys, "export", str(model_root / "saved" / "sentiment"), str(base / str(n))
        )
        assert code == 0 and json.loads(out)["export"] == str(base / str(n))
    (base / "10").mkdir()  # not a SavedModel: ignored when picking the newest version
    code, out, _ = run(capsys, "info", str(base))
    assert json.loads(out)["version"] == 2 and json.loads(out)["versions"] == [1, 2]
    code, _, err = run(capsys, "export", str(base / "1"))
    assert code == 2 and "not a saved pipeline" in err


def test_help_has_examples_and_python_m_works():
    for cmd in ("predict", "evaluate", "info", "export", "serve"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
    proc = subprocess.run(
        [sys.executable, "-m", "nlpkit", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0
    assert "example" in proc.stdout and "--max-batch-size" in proc.stdout
    assert "127.0.0.1" in proc.stdout


def test_evaluate_music_saved_and_exported_agree(generator_root, tmp_path, capsys):
    """`nlpkit evaluate` reads music with the recipe's readers (ABC/MIDI files, the JSB JSON) and
    reports `MusicGenerator.evaluate`'s metrics, from the saved pipeline and from its export."""
    pytest.importorskip("music21")
    abc = tmp_path / "tunes.abc"
    abc.write_text(
        "X:1\nT:one\nM:4/4\nL:1/4\nK:C\nCDEF/2z/2|CDEF/2z/2|\n\n"
        "X:2\nT:two\nM:4/4\nL:1/4\nK:C\nCDEc|GFED|\n",
        encoding="utf-8",
    )
    reports = {}
    for kind in ("saved", "models"):
        code, out, err = run(capsys, "evaluate", str(generator_root / kind / "music"), str(abc))
        assert code == 0, err
        reports[kind] = json.loads(out)
    assert reports["saved"]["task"] == reports["models"]["task"] == "music"
    assert reports["saved"]["examples"] == 2
    saved, exported = reports["saved"]["metrics"], reports["models"]["metrics"]
    assert set(saved) == set(exported) >= {"nll_per_event", "perplexity", "accuracy"}
    assert saved == pytest.approx(exported, rel=1e-4)
    # 9 + 8 events (the closing rest is not an event), and one <end> per piece
    assert saved["events"] == 9 + 8 and saved["steps"] == 17 + 2
    assert 0 < saved["accuracy"] <= 1 and saved["perplexity"] > 1

    jsb = tmp_path / "jsb.json"
    jsb.write_text(
        json.dumps(
            {
                "train": [[[60, 64, 67], [60, 64, 67], [62, 65, 69], []]],
                "test": [[[60, 64, 67], [62, 65, 69]], [[60], [64], [67], [72], []]],
            }
        ),
        encoding="utf-8",
    )
    for split, steps in ((None, 7), ("train", 4)):
        extra = [] if split is None else ["--split", split]
        got = {}
        for kind in ("saved", "models"):
            path = generator_root / kind / "music_roll"
            code, out, err = run(capsys, "evaluate", str(path), str(jsb), *extra)
            assert code == 0, err
            got[kind] = json.loads(out)["metrics"]
        assert set(got["saved"]) == {"nll_per_step", "bits_per_step", "steps"}
        assert got["saved"]["steps"] == steps
        assert got["saved"] == pytest.approx(got["models"], rel=1e-4)
    code, _, err = run(
        capsys,
        "evaluate",
        str(generator_root / "models" / "music_roll"),
        str(jsb),
        "--split",
        "valid",
    )
    assert code == 2 and "--split must name a split" in err and "'test', 'train'" in err
    # a token model cannot read the JSB steps: the pipeline's own message
    code, _, err = run(capsys, "evaluate", str(generator_root / "models" / "music"), str(jsb))
    assert code == 2 and "event tokens" in err


def test_music_samples_carry_the_step_length(generator_root, capsys):
    for kind in ("saved", "models"):
        path = generator_root / kind / "music_roll"
        code, out, err = run(capsys, "predict", str(path), "--samples", "2", "--max-length", "6")
        assert code == 0, err
        recs = lines(out)
        assert len(recs) == 2 and all(len(r["piano_roll"]) == 6 for r in recs)
        assert all(r["step_length"] == 0.5 for r in recs)
