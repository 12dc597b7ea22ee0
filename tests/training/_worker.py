"""A training process started by the tests in this folder (not collected by pytest).

    python _worker.py MODE OUT_DIR

MODE:
- `multi_worker`: train a tiny classifier and a tiny tagger with distribution='multi_worker'
  (TF_CONFIG set by the test); write their weights and loss histories to OUT_DIR.
- `multi_worker_stream`: the classifier under 'multi_worker' streaming three CSV files (sharded
  by file: the workers read different numbers of examples).
- `resume`: train a tiny classifier with `checkpoint_dir=OUT_DIR/ckpt`; with
  NLPKIT_TEST_KILL_AT=n the process SIGKILLs itself after its n-th step (mid-epoch).
- `multi_worker_resume`: the classifier under 'multi_worker' with `checkpoint_dir` set to
  NLPKIT_TEST_CKPT (one folder shared by the workers, as on a shared file system); with
  NLPKIT_TEST_KILL_AT=n the process SIGKILLs itself after its n-th step (mid-epoch).
- `streamed_pipelines`: CharGenerator, MusicGenerator and Translator under 'multi_worker',
  each streaming the files in NLPKIT_TEST_DATA (written by test_streamed_pipelines.py).
- `mirrored`: split the CPU into two logical devices; train the classifier and the tagger with
  MirroredStrategy over both and with OneDeviceStrategy; write the loss curves.
"""

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np

MODE, OUT = sys.argv[1], Path(sys.argv[2])
OUT.mkdir(parents=True, exist_ok=True)

if MODE == "mirrored":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )

import keras  # noqa: E402

from nlpkit import EntityTagger, TextClassifier  # noqa: E402

TEXTS = [
    "i loved this movie",
    "great acting and a great story",
    "a wonderful film",
    "terrible plot and awful acting",
    "i hated it",
    "boring and bad",
    "what a great film",
    "awful , just awful",
] * 2
LABELS = ["pos", "pos", "pos", "neg", "neg", "neg", "pos", "neg"] * 2
SENTS = [
    ["Alice", "lives", "in", "Paris", "."],
    ["Bob", "works", "for", "Acme", "in", "Berlin", "."],
    ["Acme", "hired", "Alice", "."],
    ["It", "rained", "in", "Oslo", "."],
] * 2
TAGS = [
    ["B-PER", "O", "O", "B-LOC", "O"],
    ["B-PER", "O", "O", "B-ORG", "O", "B-LOC", "O"],
    ["B-ORG", "O", "B-PER", "O"],
    ["O", "O", "O", "B-LOC", "O"],
] * 2


def classifier(**kw):
    return TextClassifier(
        cell="gru",
        hidden_size=8,
        embedding_dim=8,
        batch_size=4,
        learning_rate=0.02,
        seed=0,
        verbose=0,
        **kw,
    )


def save(name, pipeline):
    weights = pipeline.model_.get_weights()
    np.savez(OUT / f"{name}.npz", *weights)
    (OUT / f"{name}.json").write_text(json.dumps(pipeline.history_))


class KillAt(keras.callbacks.Callback):
    def __init__(self, at):
        super().__init__()
        self.at, self.n = at, 0

    def on_train_batch_end(self, batch, logs=None):
        self.n += 1
        if self.n == self.at:
            os.kill(os.getpid(), signal.SIGKILL)


if MODE == "multi_worker":
    from nlpkit.training import WorkerTimeoutError

    try:
        clf = classifier(distribution="multi_worker").fit(TEXTS, LABELS, epochs=4)
    except WorkerTimeoutError as e:
        # TensorFlow's cluster-forming thread is still blocked; leave without waiting for it.
        print(f"WorkerTimeoutError: {e}", flush=True)
        os._exit(3)
    save("classifier", clf)
    tagger = EntityTagger(
        char_encoder="cnn",
        char_embedding_dim=4,
        char_hidden_size=4,
        embedding_dim=8,
        hidden_size=8,
        batch_size=4,
        seed=0,
        verbose=0,
        distribution="multi_worker",
    ).fit(SENTS, TAGS, epochs=4)
    save("tagger", tagger)
elif MODE == "multi_worker_stream":
    # Three CSV files for two workers: sharded by file, so the workers read different numbers
    # of examples (worker 0: files 0 and 2, 12 rows; worker 1: file 1, 4 rows).
    files = []
    for i, rows in enumerate((6, 4, 6)):
        path = OUT / f"part-{i}.csv"
        picks = [
            (TEXTS[(i * 5 + j) % len(TEXTS)], LABELS[(i * 5 + j) % len(TEXTS)]) for j in range(rows)
        ]
        path.write_text("text,label\n" + "".join(f'"{t}",{lab}\n' for t, lab in picks))
        files.append(path)
    clf = classifier(distribution="multi_worker").fit(files, epochs=4)
    save("stream", clf)
    (OUT / "stream_steps.json").write_text(json.dumps(clf.training_.steps))
elif MODE == "resume":
    kill = int(os.environ.get("NLPKIT_TEST_KILL_AT", "0"))
    clf = classifier(checkpoint_dir=OUT / "ckpt", checkpoint_every=3)
    clf.fit(
        TEXTS,
        LABELS,
        epochs=3,
        validation_data=(TEXTS[:4], LABELS[:4]),
        callbacks=[KillAt(kill)] if kill else None,
    )
    save("classifier", clf)
elif MODE == "multi_worker_resume":
    kill = int(os.environ.get("NLPKIT_TEST_KILL_AT", "0"))
    clf = classifier(
        distribution="multi_worker",
        checkpoint_dir=os.environ["NLPKIT_TEST_CKPT"],
        checkpoint_every=3,
    )
    clf.fit(
        TEXTS,
        LABELS,
        epochs=3,
        validation_data=(TEXTS[:4], LABELS[:4]),
        callbacks=[KillAt(kill)] if kill else None,
    )
    save("classifier", clf)
    (OUT / "resumed_at.json").write_text(json.dumps(clf.training_.resumed_at))
elif MODE == "streamed_pipelines":
    # CharGenerator, MusicGenerator and Translator under 'multi_worker', each streaming the
    # three files the test wrote to NLPKIT_TEST_DATA (sharded by file: worker 0 reads files 0
    # and 2, worker 1 file 1); the same small settings as test_streamed_pipelines.tiny.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.training.test_streamed_pipelines import tiny

    data = Path(os.environ["NLPKIT_TEST_DATA"])
    patterns = {"chargen": "names-*.txt", "music": "jsb-*.json", "translator": "pairs-*.tsv"}
    for name, pattern in patterns.items():
        files = sorted(data.glob(pattern))
        assert len(files) == 3, files
        pipe = tiny(name, distribution="multi_worker").fit(files, epochs=4)
        save(name, pipe)
        (OUT / f"{name}_steps.json").write_text(json.dumps(pipe.training_.steps))
elif MODE == "mirrored":
    import tensorflow as tf

    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    assert len(devices) == 2, devices
    for name, strategy in (
        ("two", tf.distribute.MirroredStrategy(devices)),
        ("one", tf.distribute.OneDeviceStrategy(devices[0])),
    ):
        # No dropout: each replica would draw its own masks, a real difference in the run.
        save(name, classifier(distribution=strategy, dropout=0.0).fit(TEXTS, LABELS, epochs=4))
        tagger = EntityTagger(
            char_encoder="cnn",
            char_embedding_dim=4,
            char_hidden_size=4,
            embedding_dim=8,
            hidden_size=8,
            dropout=0.0,
            batch_size=4,
            seed=0,
            verbose=0,
            distribution=strategy,
        )
        save(f"tagger_{name}", tagger.fit(SENTS, TAGS, epochs=4))
print("done", MODE, flush=True)
