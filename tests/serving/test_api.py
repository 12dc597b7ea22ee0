"""The REST API through a real HTTP client (httpx) against a server on a loopback port.

The `server` fixture (conftest.py) runs one server for the session with small limits:
4,000-byte bodies, 8 instances, 200 characters, 50 generation steps.
"""

from __future__ import annotations

import concurrent.futures
import json

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

SENTENCE = "Alice Smith lives in Paris ."


def predict(client, name, body, **kw):
    return client.post(f"/v1/models/{name}:predict", json=body, **kw)


# ---------------------------------------------------------------------------- health, listing
def test_health_and_readiness(server):
    client, srv = server
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["models"] == ["ner", "sentiment"]
    assert srv.config.host == "127.0.0.1"  # loopback by default


def test_model_list_and_demo_page(server):
    client, _ = server
    models = {m["name"]: m for m in client.get("/api/models").json()["models"]}
    assert models["sentiment"]["task"] == "classification"
    assert models["sentiment"]["labels"] == ["neg", "pos"]
    assert models["ner"]["task"] == "ner" and models["ner"]["task_signature"] == "serving_default"
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<select id="model"' in page.text and "/static/demo.js" in page.text
    assert "http" not in page.text.split("<footer>")[0].replace("http-equiv", "")  # no CDN
    js = client.get("/static/demo.js")
    assert js.status_code == 200 and "function midiBytes" in js.text


# ---------------------------------------------------------------------------- status, metadata
def test_model_status_has_tf_serving_shape(server):
    client, _ = server
    body = client.get("/v1/models/sentiment").json()
    assert body == {
        "model_version_status": [
            {
                "version": "1",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }
    assert client.get("/v1/models/sentiment/versions/1").status_code == 200
    missing = client.get("/v1/models/sentiment/versions/7")
    assert missing.status_code == 404 and "Specific(sentiment, 7)" in missing.json()["error"]


def test_metadata_lists_signatures(server):
    client, _ = server
    meta = client.get("/v1/models/ner/metadata").json()
    assert meta["model_spec"] == {"name": "ner", "signature_name": "", "version": "1"}
    sigs = meta["metadata"]["signature_def"]["signature_def"]
    assert set(sigs) == {"serving_default", "tag_tokens", "tag_tokens_scored"}
    inp = sigs["serving_default"]["inputs"]["sentences"]
    assert inp["dtype"] == "DT_STRING"
    assert inp["tensor_shape"] == {"dim": [{"size": "-1", "name": ""}], "unknown_rank": False}
    assert sigs["tag_tokens"]["inputs"]["tokens"]["tensor_shape"]["dim"][1]["size"] == "-1"
    assert sigs["serving_default"]["outputs"]["entity_starts"]["dtype"] == "DT_INT32"
    assert sigs["serving_default"]["method_name"] == "tensorflow/serving/predict"


# ---------------------------------------------------------------------------- predict
def test_predict_row_and_columnar_formats(server):
    client, _ = server
    texts = ["i loved this movie", "boring and bad"]
    rows = predict(client, "sentiment", {"instances": texts}).json()["predictions"]
    assert [r["label"] for r in rows] == ["pos", "neg"]
    assert [r["label_id"] for r in rows] == [1, 0]
    for r in rows:
        assert set(r) == {"label", "label_id", "scores"}
        assert abs(sum(r["scores"]) - 1.0) < 1e-5
    cols = predict(client, "sentiment", {"inputs": texts}).json()["outputs"]
    assert cols["label"] == ["pos", "neg"]
    assert cols["scores"] == [r["scores"] for r in rows]
    named = predict(client, "sentiment", {"inputs": {"text": texts}}).json()["outputs"]
    assert named == cols
    objects = predict(
        client,
        "sentiment",
        {"instances": [{"text": t} for t in texts], "signature_name": "serving_default"},
    ).json()["predictions"]
    assert objects == rows


def test_predict_ner_spans(server):
    client, _ = server
    (p,) = predict(client, "ner", {"instances": [SENTENCE]}).json()["predictions"]
    n = p["entity_counts"]
    spans = list(
        zip(p["entity_starts"][:n], p["entity_ends"][:n], p["entity_labels"][:n], strict=True)
    )
    assert spans == [(0, 11, "PER"), (21, 26, "LOC")]
    assert p["entity_texts"][:n] == ["Alice Smith", "Paris"]
    assert p["tokens"] == ["Alice", "Smith", "lives", "in", "Paris", "."]


def test_predict_other_signature(server):
    client, _ = server
    body = {
        "signature_name": "tag_tokens",
        "inputs": {"tokens": [["Alice", "Smith", "lives", "in", "Paris"]]},
    }
    out = predict(client, "ner", body).json()["outputs"]
    assert out == [["B-PER", "I-PER", "O", "O", "B-LOC"]]
    bad = predict(client, "ner", {"signature_name": "nope", "instances": ["x"]})
    assert bad.status_code == 400
    assert "'nope' not found" in bad.json()["error"] and "tag_tokens" in bad.json()["error"]


def test_batched_requests_equal_single_requests(server):
    client, srv = server
    sentences = [
        SENTENCE,
        "Bob works for Acme Corp in Berlin .",
        "Nothing happened today .",
        "",
        "Maria met Bob Jones in Oslo .",
        "It rained in Tokyo and Lima .",
    ] * 2
    alone = [predict(client, "ner", {"instances": [s]}).json() for s in sentences]
    before = srv.batchers[("ner", "serving_default")].stats.batches
    with concurrent.futures.ThreadPoolExecutor(len(sentences)) as pool:
        together = list(
            pool.map(lambda s: predict(client, "ner", {"instances": [s]}).json(), sentences)
        )

    # Batched and single calls run different kernels for the recurrent product (one row: one
    # BatchMatMul for both directions; several rows: a MatMul per direction), so the CRF's
    # marginal confidences may differ by float rounding; everything else is exact.
    def split(answers):
        exact, conf = [], []
        for a in answers:
            preds = [dict(p) for p in a["predictions"]]
            conf.append([p.pop("entity_confidences") for p in preds])
            exact.append(preds)
        return exact, conf

    (exact_t, conf_t), (exact_a, conf_a) = split(together), split(alone)
    assert exact_t == exact_a
    for t, a in zip(conf_t, conf_a, strict=True):
        for ct, ca in zip(t, a, strict=True):
            np.testing.assert_allclose(ct, ca, atol=1e-4)
    stats = srv.batchers[("ner", "serving_default")].stats
    assert stats.batches - before < len(sentences)  # some requests shared a model call
    assert stats.largest > 1


def test_empty_instances(server):
    client, _ = server
    assert predict(client, "sentiment", {"instances": []}).json() == {"predictions": []}


# ---------------------------------------------------------------------------- errors and limits
@pytest.mark.parametrize(
    "path",
    [
        "/v1/models/nope",
        "/v1/models/nope/metadata",
        "/v1/models/..%2F..%2Fetc%2Fpasswd",
        "/v1/models/%2e%2e/metadata",
        "/v1/models/.hidden",
    ],
)
def test_unknown_models_are_404(server, path):
    client, _ = server
    r = client.get(path)
    assert r.status_code == 404
    assert "error" in r.json()


def test_unknown_model_predict_and_traversal(server):
    client, _ = server
    r = predict(client, "nope", {"instances": ["x"]})
    assert r.status_code == 404 and "Latest(nope)" in r.json()["error"]
    r = client.post("/v1/models/..%2Fmodels%2Fsentiment:predict", json={"instances": ["x"]})
    assert r.status_code == 404 and "error" in r.json()


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"instances": ["a"], "inputs": ["a"]}, 400, "exactly one of"),
        ({}, 400, "exactly one of"),
        ([1, 2], 400, "JSON object"),
        ({"instances": "a"}, 400, "must be a list"),
        ({"instances": [1, 2]}, 400, "must be string"),
        ({"instances": ["a"], "extra": 1}, 400, "Unknown keys"),
        ({"inputs": {"wrong": ["a"]}}, 400, "takes inputs"),
        ({"inputs": [["a", "b"]]}, 400, "must have shape"),
    ],
)
def test_malformed_requests_are_400(server, body, status, message):
    client, _ = server
    r = predict(client, "sentiment", body)
    assert r.status_code == status
    assert message in r.json()["error"]


def test_invalid_json_and_wrong_method(server):
    client, _ = server
    r = client.post("/v1/models/sentiment:predict", content=b"{not json")
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]
    r = client.get("/v1/models/sentiment:predict")  # read as a model named "sentiment:predict"
    assert r.status_code == 404 and "error" in r.json()
    r = client.post("/v1/models/sentiment", json={})
    assert r.status_code == 405 and "error" in r.json()
    r = client.get("/static/%2e%2e/app.py")
    assert r.status_code == 404 and "error" in r.json()
    r = client.post("/v1/models/sentiment:classify", json={"instances": ["a"]})
    assert r.status_code == 404 and "':classify'" in r.json()["error"]


def test_limits(server):
    client, _ = server
    big = predict(client, "sentiment", {"instances": ["word " * 900]})
    assert big.status_code == 413 and "4000 bytes" in big.json()["error"]
    chunked = client.post(
        "/v1/models/sentiment:predict",
        content=iter([json.dumps({"instances": ["x" * 3000]}).encode(), b" " * 3000]),
    )
    assert chunked.status_code == 413
    many = predict(client, "sentiment", {"instances": ["ok"] * 9})
    assert many.status_code == 400 and "Too many instances: 9" in many.json()["error"]
    assert predict(client, "sentiment", {"instances": ["ok"] * 8}).status_code == 200
    long = predict(client, "sentiment", {"instances": ["x" * 201]})
    assert long.status_code == 400 and "201 characters" in long.json()["error"]
    assert "--max-input-length" in long.json()["error"]
    rows = predict(
        client, "ner", {"signature_name": "tag_tokens", "inputs": {"tokens": [["a"] * 201]}}
    )
    assert rows.status_code == 400 and "201 positions" in rows.json()["error"]
