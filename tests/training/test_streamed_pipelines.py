"""The engine under the pipelines that stream training files: CharGenerator (text files),
MusicGenerator (JSB Chorales JSON files) and Translator (TSV files of pairs).

- Sharding: under a multi-worker strategy each worker streams its own files, and the workers'
  shares together are exactly the single-worker stream (fast, in process: the pipelines'
  `worker_shard` answer is set by the test).
- Resume: a streamed run interrupted mid-epoch and run again with the same `checkpoint_dir`
  ends with the weights and losses of an uninterrupted run (in process, exact on the CPU; slow:
  the default suite's resume test is tests/training/test_engine.py's, on a plain model).
- Two workers on loopback ports stream the files sharded by file and finish with identical
  weights and a falling loss (`_worker.py streamed_pipelines`; slow).
"""

import json
from collections import Counter

import keras
import numpy as np
import pytest

from nlpkit.pipelines import chargen as chargen_module
from nlpkit.pipelines import music as music_module
from nlpkit.pipelines import translator as translator_module
from nlpkit.pipelines.chargen import CharGenerator
from nlpkit.pipelines.music import MusicGenerator
from nlpkit.pipelines.translator import Translator
from tests.training.test_processes import finish, start, weights

NAMES = ["anna", "bella", "carla", "dora", "emma", "fiona", "greta", "hanna"]
CHORDS = [[60, 64, 67], [62, 65, 69], [64, 67, 71], []]
ROLLS = [CHORDS * 4, CHORDS * 3, CHORDS * 2 + [[60, 64, 67]] * 3, CHORDS * 3]
PAIRS = [
    ("the cat sleeps", "die Katze schläft"),
    ("a dog runs", "ein Hund rennt"),
    ("the dog sleeps", "der Hund schläft"),
    ("a cat runs", "eine Katze rennt"),
    ("birds sing", "Vögel singen"),
    ("the bird runs", "der Vogel rennt"),
    ("a cat sings", "eine Katze singt"),
    ("dogs sleep", "Hunde schlafen"),
]


def write_files(kind, folder, parts=2):
    """The tiny training data of `kind` in `parts` files; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(parts):
        if kind == "chargen":
            path = folder / f"names-{i}.txt"
            path.write_text("".join(f"{n}\n" for n in NAMES[i::parts]), encoding="utf-8")
        elif kind == "music":
            path = folder / f"jsb-{i}.json"
            path.write_text(json.dumps({"train": ROLLS[i::parts]}))
        else:
            path = folder / f"pairs-{i}.tsv"
            path.write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS[i::parts]), encoding="utf-8")
        paths.append(path)
    return paths


def tiny(kind, **kwargs):
    common = dict(seed=0, verbose=0, **kwargs)
    if kind == "chargen":
        return CharGenerator(hidden_size=8, embedding_dim=4, batch_size=2, **common)
    if kind == "music":
        return MusicGenerator(
            representation="piano_roll",
            hidden_size=8,
            num_layers=1,
            sequence_length=4,
            batch_size=2,
            **common,
        )
    return Translator(
        level="word", embedding_dim=4, hidden_size=4, beam_width=2, batch_size=2, **common
    )


def training_stream(kind, files):
    """This process's unbatched training stream of `kind` over `files`, as a Counter of its
    examples (arrays made hashable)."""
    pipe = tiny(kind)
    if kind == "chargen":
        from nlpkit.text.char_vocabulary import CharVocabulary

        _, encoded = pipe._stream(files, "x")
        ds = encoded(CharVocabulary(sorted(set("".join(NAMES)))))
    elif kind == "music":
        _, windows = pipe._stream(files, "x")
        ds = windows()
    else:
        _, make_ds = pipe._stream(files, None, "x")
        ds = make_ds()

    def key(example):
        flat = example if isinstance(example, tuple) else (example,)
        return tuple(np.asarray(v).tobytes() if not isinstance(v, tuple) else key(v) for v in flat)

    return Counter(key(e) for e in ds.as_numpy_iterator())


@pytest.mark.parametrize("kind", ["chargen", "music", "translator"])
def test_each_worker_streams_its_own_files_and_together_all(kind, tmp_path, monkeypatch):
    files = write_files(kind, tmp_path, parts=3)
    module = {"chargen": chargen_module, "music": music_module}.get(kind, translator_module)
    monkeypatch.setattr(module, "worker_shard", lambda strategy: None)  # one worker
    whole = training_stream(kind, files)
    # by file: worker 0 reads files 0 and 2, worker 1 file 1
    expected = [training_stream(kind, files[0::2]), training_stream(kind, files[1:2])]
    single = training_stream(kind, files[:1])
    shares = []
    for index in (0, 1):
        monkeypatch.setattr(module, "worker_shard", lambda strategy, i=index: (2, i))
        shares.append(training_stream(kind, files))
    assert shares == expected
    assert sum(shares[0].values()) > 0 and sum(shares[1].values()) > 0
    assert shares[0] + shares[1] == whole
    # fewer files than workers: every worker reads everything (the engine shards by example)
    assert training_stream(kind, files[:1]) == single


class Crash(keras.callbacks.Callback):
    """Raises after the third step of the second epoch (mid-epoch)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 2:
            raise RuntimeError("simulated crash")


def _fit(kind, files, ckpt, callbacks=None):
    pipe = tiny(kind, checkpoint_dir=ckpt, checkpoint_every=2)
    return pipe.fit(files, epochs=3, callbacks=callbacks)


@pytest.mark.parametrize(
    "kind",
    [
        # three fits each: chargen 56 s, music 35 s, translator 119 s on the shared 2 cores
        pytest.param("chargen", marks=pytest.mark.slow),
        pytest.param("music", marks=pytest.mark.slow),
        pytest.param("translator", marks=pytest.mark.slow),
    ],
)
def test_streamed_run_interrupted_mid_epoch_resumes_to_the_uninterrupted_weights(kind, tmp_path):
    files = write_files(kind, tmp_path / "data")
    straight = _fit(kind, files, tmp_path / "a")
    steps = straight.training_.steps
    assert steps >= 9 and straight.training_.resumed_at is None
    # Checkpoints every 2 steps and at each epoch end: the run resumes in the second epoch.
    with pytest.raises(RuntimeError, match="simulated"):
        _fit(kind, files, tmp_path / "b", callbacks=[Crash()])
    resumed = _fit(kind, files, tmp_path / "b")
    assert resumed.training_.resumed_at is not None
    assert resumed.training_.resumed_at[0] == 1, resumed.training_.resumed_at
    assert resumed.training_.steps == steps
    assert resumed.history_["loss"] == straight.history_["loss"]
    a, b = straight.model_.get_weights(), resumed.model_.get_weights()
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)  # exact on the CPU


@pytest.mark.slow  # two TensorFlow processes training three pipelines: a minute or more
def test_two_workers_stream_chargen_music_and_translator_to_identical_weights(tmp_path):
    from nlpkit.training import local_tf_configs

    write_files("chargen", tmp_path / "data", parts=3)
    write_files("music", tmp_path / "data", parts=3)
    write_files("translator", tmp_path / "data", parts=3)
    procs = [
        start(
            "streamed_pipelines",
            tmp_path / f"w{i}",
            TF_CONFIG=cfg,
            NLPKIT_WORKER_TIMEOUT="90",
            NLPKIT_TEST_DATA=str(tmp_path / "data"),
        )
        for i, cfg in enumerate(local_tf_configs(2))
    ]
    outs = finish(procs, 420)
    for p, out in zip(procs, outs, strict=True):
        assert p.returncode == 0, out[-3000:]
    for name in ("chargen", "music", "translator"):
        w0, w1 = weights(tmp_path / "w0" / f"{name}.npz"), weights(tmp_path / "w1" / f"{name}.npz")
        assert len(w0) == len(w1) > 0
        for a, b in zip(w0, w1, strict=True):
            np.testing.assert_array_equal(a, b)
        loss = json.loads((tmp_path / "w0" / f"{name}.json").read_text())["loss"]
        assert len(loss) == 4 and loss[-1] < loss[0], (name, loss)
        steps = [
            json.loads((tmp_path / f"w{i}" / f"{name}_steps.json").read_text()) for i in (0, 1)
        ]
        assert steps[0] == steps[1] > 0, (name, steps)
