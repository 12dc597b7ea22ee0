"""Generators over HTTP and on the demo page: chargen samples, music piano roll and MIDI file;
a real subword Translator export with its attention heatmap."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from nlpkit.serving.app import ServerConfig, running_server  # noqa: E402
from nlpkit.serving.rest import Limits  # noqa: E402

CHROMIUM = os.environ.get("NLPKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def gen_server(generator_root):
    if not (generator_root / "models" / "translator" / "1").is_dir():
        from nlpkit_tests_tiny_models import build_models  # registered by conftest.py

        build_models(generator_root, ("translator",))
    config = ServerConfig(port=0, limits=Limits(max_generate_steps=50))
    with running_server(generator_root / "models", config) as (url, srv):
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client


def generate(client, seed, **extra):
    inputs = {"prompts": ["an", "b"], "max_length": 12, "temperature": 1.0, "seed": seed}
    inputs.update(extra)
    return client.post(
        "/v1/models/chargen:predict", json={"signature_name": "generate", "inputs": inputs}
    )


def test_chargen_seeded_and_row_format_scalars(gen_server):
    a = generate(gen_server, 3).json()["outputs"]
    assert a == generate(gen_server, 3).json()["outputs"]  # same seed, same samples
    assert a[0].startswith("an") and a[1].startswith("b")
    assert all(len(t) <= len(p) + 12 for t, p in zip(a, ["an", "b"], strict=True))
    rows = [{"prompts": p, "max_length": 12, "temperature": 1.0, "seed": 3} for p in ("an", "b")]
    body = {"signature_name": "generate", "instances": rows}
    assert gen_server.post("/v1/models/chargen:predict", json=body).json()["predictions"] == a
    rows[1]["seed"] = 4
    bad = gen_server.post("/v1/models/chargen:predict", json=body)
    assert bad.status_code == 400 and "same value" in bad.json()["error"]


def test_generation_length_limit(gen_server):
    r = generate(gen_server, 1, max_length=51)
    assert r.status_code == 400 and "--max-generate-steps" in r.json()["error"]
    # every export has serving_default (greedy completions for chargen): no name needed
    r = gen_server.post("/v1/models/chargen:predict", json={"inputs": {"prompts": ["a"]}})
    named = {"signature_name": "serving_default", "inputs": {"prompts": ["a"]}}
    assert r.status_code == 200
    assert r.json() == gen_server.post("/v1/models/chargen:predict", json=named).json()
    assert r.json()["outputs"][0].startswith("a")
    named["signature_name"] = "sample"
    r = gen_server.post("/v1/models/chargen:predict", json=named)
    assert r.status_code == 400 and "generate" in r.json()["error"]


def test_translator_returns_attention_over_http(gen_server):
    """The exported Translator answers with its translation and the attention weights of it,
    with the source and output tokens, per instance (TF Serving's row format)."""
    body = {"instances": ["The cat sleeps.", "Birds sing!"]}
    r = gen_server.post("/v1/models/translator:predict", json=body)
    assert r.status_code == 200, r.text
    rows = r.json()["predictions"]
    assert [row["translation"] for row in rows] == ["Die Katze schläft.", "Vögel singen!"]
    for row in rows:
        src = [t for t in row["source_tokens"] if t]
        tgt = [t for t in row["target_tokens"] if t]
        assert "".join(src).replace("\u2581", " ").strip() in body["instances"]
        assert (
            tgt[-1] == "</s>"
            and "".join(tgt[:-1]).replace("\u2581", " ").strip() == (row["translation"])
        )
        att = row["attention"]
        assert len(att) == len(row["target_tokens"]) and len(att[0]) == len(row["source_tokens"])
        for i, weights in enumerate(att):  # a distribution over this source's tokens per output
            expected = 1.0 if i < len(tgt) else 0.0
            assert abs(sum(weights[: len(src)]) - expected) < 1e-4
            assert all(w == 0.0 for w in weights[len(src) :])


def test_music_tokens(gen_server):
    body = {
        "signature_name": "generate",
        "inputs": {"primer": [[], []], "max_length": 6, "temperature": 1.0, "seed": 5},
    }
    out = gen_server.post("/v1/models/music:predict", json=body).json()["outputs"]
    assert len(out["tokens"]) == 2 and all(len(row) == 6 for row in out["tokens"])
    assert all(t.startswith(("n", "r:")) for row in out["tokens"] for t in row)


@pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM}")
def test_music_page_draws_piano_roll_and_offers_midi(gen_server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 800, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(f"{gen_server.base_url}/?model=music")
            page.wait_for_selector("#panel-gen:not([hidden])")
            assert not page.is_visible("#gen-prompt")  # music models take no text prompt
            page.fill("#gen-length", "16")
            page.fill("#gen-count", "2")
            page.fill("#gen-seed", "7")
            page.focus("#gen-seed")
            page.keyboard.press("Enter")  # submits the form from the keyboard
            page.wait_for_selector("canvas.roll")
            assert page.locator("canvas.roll").count() == 2
            with page.expect_download() as info:
                page.click("a.download >> nth=0")
            midi = tmp_path / "sample.mid"
            info.value.save_as(midi)
            data = midi.read_bytes()
            assert data[:4] == b"MThd" and b"MTrk" in data
            tokens = page.locator(".sample p.help").first.inner_text().split()
            try:
                import music21
            except ImportError:
                music21 = None
            if music21 is not None:  # the MIDI file holds exactly the sampled notes
                score = music21.converter.parse(str(midi))
                notes = score.flatten().stripTies().notes  # a note over a barline reads back tied
                pitches = [int(n.pitch.midi) for n in notes]
                assert pitches == [int(t[1:].split(":")[0]) for t in tokens if t.startswith("n")]
            page.screenshot(path=str(tmp_path / "music.png"), full_page=True)

            page.goto(f"{gen_server.base_url}/?model=chargen")
            page.wait_for_selector("#panel-gen:not([hidden])")
            page.fill("#gen-prompt", "a")
            page.fill("#gen-temperature", "0.5")
            page.dispatch_event("#gen-temperature", "input")
            assert page.input_value("#gen-temperature-range") == "0.5"
            page.click("#gen-run")
            page.wait_for_selector("ol.samples li")
            samples = page.locator("ol.samples li").all_inner_texts()
            assert len(samples) == 3 and all(s.startswith("a") for s in samples)

            expected = gen_server.post(
                "/v1/models/translator:predict", json={"instances": ["The cat sleeps."]}
            ).json()["predictions"][0]
            page.goto(f"{gen_server.base_url}/?model=translator")
            page.wait_for_selector("#panel-text:not([hidden])")
            page.fill("#text-input", "The cat sleeps.")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "text-run"
            page.keyboard.press("Enter")  # the Run button, reached from the keyboard
            page.wait_for_selector("table.heatmap")
            assert page.inner_text(".translation") == "Die Katze schläft."
            # columns: the source's subword pieces; rows: the output pieces and </s>
            cols = page.locator("table.heatmap thead th").all_inner_texts()
            assert cols == [""] + expected["source_tokens"]
            rows = page.locator("table.heatmap tbody th").all_inner_texts()
            target_tokens = [t for t in expected["target_tokens"] if t]  # "" pads the batch
            assert rows == target_tokens and rows[-1] == "</s>"
            # each cell's colour is its weight: the strongest cell of a row is the most opaque
            for i, weights in enumerate(expected["attention"][: len(rows)]):
                cells = page.locator("table.heatmap tbody tr").nth(i).locator("td")
                alphas = cells.evaluate_all(
                    "cs => cs.map(c => { const m = getComputedStyle(c).backgroundColor"
                    ".match(/rgba?\\(([^)]*)\\)/)[1].split(','); "
                    "return m.length === 4 ? Number(m[3]) : 1; })"
                )
                assert len(alphas) == len(weights)
                assert max(abs(a - w) for a, w in zip(alphas, weights, strict=True)) < 0.01
            page.screenshot(path=str(tmp_path / "attention.png"), full_page=True)
            if os.environ.get("NLPKIT_SCREENSHOT_DIR"):
                for name in ("music.png", "attention.png"):
                    shutil.copy(tmp_path / name, Path(os.environ["NLPKIT_SCREENSHOT_DIR"]))
        finally:
            browser.close()


def test_music_timing_listed_from_the_export(gen_server, generator_root, tmp_path):
    """`/api/models` gives each music model's timing from its `assets.extra/music.json`; an
    export written before that file existed gets the same figures from its `config.json`."""
    models = {m["name"]: m for m in gen_server.get("/api/models").json()["models"]}
    roll = models["music_roll"]["music"]
    assert roll["step_length"] == 0.5 and roll["seconds_per_step"] == 0.25
    assert roll["tempo_qpm"] == 120.0 and roll["time_unit"] == "quarter_note"
    tokens = models["music"]["music"]
    assert tokens["representation"] == "tokens" and tokens["step_length"] is None
    assert models["chargen"]["music"] is None

    from nlpkit.serving.models import ServedModel

    old = tmp_path / "old" / "1"
    shutil.copytree(generator_root / "models" / "music_roll" / "1", old)
    (old / "assets.extra" / "music.json").unlink()
    assert ServedModel.load("old", old).music == roll
    (old / "assets.extra" / "config.json").unlink()
    assert ServedModel.load("old", old).music is None


def _roll_notes(roll, step_length):
    """(pitch, onset, duration) in quarter notes of a 0/1 `(steps, 88)` roll; held keys merge."""
    notes = []
    for k in range(88):
        t = 0
        while t < len(roll):
            if roll[t][k]:
                start = t
                while t < len(roll) and roll[t][k]:
                    t += 1
                notes.append((21 + k, start * step_length, (t - start) * step_length))
            else:
                t += 1
    return sorted(notes)


@pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM}")
def test_piano_roll_page_uses_the_exported_step_length(gen_server, tmp_path):
    """The piano-roll model's steps last 0.5 quarter notes: the page's MIDI file places and
    holds every sampled note at that step length, and the caption says so."""
    sync_api = pytest.importorskip("playwright.sync_api")
    music21 = pytest.importorskip("music21")
    body = {
        "signature_name": "serving_default",
        "inputs": {"primer": [[]], "max_length": 16, "temperature": 1.0, "seed": 7},
    }
    r = gen_server.post("/v1/models/music_roll:predict", json=body)
    assert r.status_code == 200, r.text
    (roll,) = r.json()["outputs"]  # the one output (`piano_roll`), given bare
    expected = _roll_notes(roll, 0.5)
    assert expected, "the tiny model sampled silence; pick another seed"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_default_timeout(60_000)
            page.goto(f"{gen_server.base_url}/?model=music_roll")
            page.wait_for_selector("#panel-gen:not([hidden])")
            page.fill("#gen-length", "16")
            page.fill("#gen-count", "1")
            page.fill("#gen-seed", "7")
            page.fill("#gen-temperature", "1")
            page.click("#gen-run")
            page.wait_for_selector("canvas.roll")
            caption = page.locator(".sample p.help").first.inner_text()
            assert "16 steps of 0.5 quarter notes" in caption and "8 quarter notes" in caption
            assert "4.0 s at 120 per minute" in caption and "assumed" not in caption
            with page.expect_download() as info:
                page.click("a.download >> nth=0")
            midi = tmp_path / "roll.mid"
            info.value.save_as(midi)
            page.screenshot(path=str(tmp_path / "piano-roll.png"), full_page=True)
        finally:
            browser.close()
    assert _midi_notes(music21, midi) == expected


def _midi_notes(music21, path):
    """(pitch, onset, duration) in quarter notes of every note of a one-track MIDI file, read
    event by event (music21's score parser regroups dense chords at barlines)."""
    from music21 import midi

    mf = midi.MidiFile()
    mf.open(str(path))
    mf.read()
    mf.close()
    tpq, t, on, notes = mf.ticksPerQuarterNote, 0, {}, []
    for e in mf.tracks[0].events:
        if isinstance(e, midi.DeltaTime):
            t += e.time
        elif e.type == midi.ChannelVoiceMessages.NOTE_ON and e.velocity > 0:
            on[e.pitch] = t
        elif e.type in (midi.ChannelVoiceMessages.NOTE_OFF, midi.ChannelVoiceMessages.NOTE_ON):
            start = on.pop(e.pitch)
            notes.append((int(e.pitch), start / tpq, (t - start) / tpq))
    return sorted(notes)
