"""Generators over HTTP and on the demo page: chargen samples, music piano roll and MIDI file."""

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


def write_attention_translator(path: Path) -> None:
    """A stand-in translation SavedModel whose signature also returns attention weights (today's
    Translator export does not), to test the page's heatmap: it echoes the input upper-cased."""
    import tensorflow as tf

    class Echo(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def translate(self, text):
            tokens = tf.strings.split(text)
            n_src = tf.cast(tokens.row_lengths()[0], tf.int32)
            weights = tf.eye(n_src)  # output token i attends to input token i
            return {
                "translation": tf.strings.upper(text),
                "attention": weights[None],
                "source_tokens": tokens.to_tensor(""),
            }

    module = Echo()
    tf.saved_model.save(module, str(path), signatures={"translate": module.translate})


@pytest.fixture(scope="module")
def gen_server(generator_root):
    if not (generator_root / "models" / "echo" / "1").is_dir():
        write_attention_translator(generator_root / "models" / "echo" / "1")
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
    r = gen_server.post(
        "/v1/models/chargen:predict", json={"inputs": {"prompts": ["a"]}}
    )  # no serving_default and several signatures: the name is required
    assert r.status_code == 400 and "signature_name" in r.json()["error"]


def test_music_tokens(gen_server):
    body = {
        "signature_name": "generate",
        "inputs": {"primer": [[], []], "steps": 6, "temperature": 1.0, "seed": 5},
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

            page.goto(f"{gen_server.base_url}/?model=echo")
            page.wait_for_selector("#panel-text:not([hidden])")
            page.fill("#text-input", "the cat sleeps")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "text-run"
            page.keyboard.press("Enter")  # the Run button, reached from the keyboard
            page.wait_for_selector("table.heatmap")
            assert page.inner_text(".translation") == "THE CAT SLEEPS"
            cols = page.locator("table.heatmap thead th").all_inner_texts()
            assert cols == ["", "the", "cat", "sleeps"]
            cells = page.locator("table.heatmap tbody tr").nth(1).locator("td")
            alphas = cells.evaluate_all("cs => cs.map(c => getComputedStyle(c).backgroundColor)")
            assert alphas[1] == "rgb(11, 87, 208)" and alphas[0] == "rgba(11, 87, 208, 0)"
            page.screenshot(path=str(tmp_path / "attention.png"), full_page=True)
            if os.environ.get("NLPKIT_SCREENSHOT_DIR"):
                for name in ("music.png", "attention.png"):
                    shutil.copy(tmp_path / name, Path(os.environ["NLPKIT_SCREENSHOT_DIR"]))
        finally:
            browser.close()
