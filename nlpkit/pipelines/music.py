"""`MusicGenerator`: a recurrent language model over musical events.

Two representations (see `nlpkit.data.music_events`):

- `representation="tokens"`: one melodic line as event tokens (`"n60:1"`, `"r:0.5"`), a softmax
  over the event vocabulary; `evaluate` reports NLL per step (per predicted token, including the
  closing `<end>`), NLL per event (the same sum over the notes and rests only), bits, perplexity
  and next-event accuracy.
- `representation="piano_roll"`: polyphonic multi-hot steps over the 88 piano keys, one sigmoid
  output per key; the NLL of a step is the summed binary cross-entropy over the keys (nats), the
  measure used for JSB Chorales (Boulanger-Lewandowski et al. 2012). `key_model="nade"` (the
  default) models the keys of a step in pitch order, each conditioned on the keys below it, with
  a NADE whose biases come from the recurrent state (the RNN-NADE of Boulanger-Lewandowski et
  al. 2012); `key_model="independent"` treats the keys of a step as independent given the past.

The network is `Embedding` (tokens) -> `RecurrentStack` (Elman RNN, GRU or LSTM) -> optional
self-attention over the last `attention_window` steps (a causal, windowed multi-head attention
with a residual connection, Vaswani et al. 2017) -> `Dense` logits (or the `NADE` layer).

Generation runs a `tf.while_loop` one step at a time over the recurrent cells' states, inside a
`tf.function`, so `generate()` and the exported SavedModel's `generate` signature run the same
graph and give the same output for the same seed. Tokens are drawn with
`nlpkit.ops.sample_logits`; piano-roll keys are drawn as Bernoulli variables with probability
`sigmoid(logit / temperature)` from stateless uniform noise (with `key_model="nade"` one key at a
time, lowest first, each conditioned on the keys already drawn in its step).

The network, its losses and the generation graph (`MusicSampler`) live in
`nlpkit.models.music_lm`; this module holds the pipeline.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nlpkit.data import music_events as me
from nlpkit.data.music import music_files
from nlpkit.data.music_events import DEFAULT_TEMPO, timing_metadata
from nlpkit.data.streaming import (
    DEFAULT_SHUFFLE_BUFFER,
    CappedCounter,
    files_dataset,
    shuffled,
    worker_shard,
)
from nlpkit.errors import IntegrityError
from nlpkit.layers.recurrent_stack import CELLS
from nlpkit.metrics.language_model import sequence_nll
from nlpkit.metrics.music import music_metrics
from nlpkit.models.music_lm import (
    MusicSampler,
    _WindowedSelfAttention,  # noqa: F401 (old location)
    build_music_lm,
    has_legacy_attention,
    pianoroll_loss,
    token_loss,
)
from nlpkit.pipelines.base import LAYOUT, Pipeline, check_rows
from nlpkit.pipelines.training import set_seed
from nlpkit.text.special_ids import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    UNK_ID,
    SpecialIds,
    special_ids_from_tokens,
)
from nlpkit.training import Trainer, check_training_settings
from nlpkit.utils.files import (
    hash_strings,
    load_keras_weights,
    read_vocabulary,
    write_json,
    write_vocabulary,
)
from nlpkit.utils.inference import cached_function
from nlpkit.utils.validation import (
    MAX_GENERATION_SEED,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_seed,
)

__all__ = [
    "MusicGenerator",
    "run_recipe",
    "music_metrics",
    "timing_metadata",
    "REPRESENTATIONS",
    "KEY_MODELS",
    "DEFAULT_TEMPO",
]

REPRESENTATIONS = ("tokens", "piano_roll")
KEY_MODELS = ("nade", "independent")
# The shared special ids (nlpkit.text.special_ids) of a vocabulary built now. A vocabulary saved
# before the ids were shared lists `<pad> <start> <end> <unk>`: its ids are read from the saved
# token list (`MusicGenerator._special`), so old models load and generate as before.
PAD, UNK, START, END = PAD_ID, UNK_ID, BOS_ID, EOS_ID
_MODEL = "model.keras"
_WEIGHTS = "model.weights.h5"  # nlpkit 0.1
_VOCAB = "vocabulary.txt"


# ============================================================================ arguments
def _max_length(max_length, steps) -> int:
    """`max_length`, or the deprecated `steps` (with a DeprecationWarning) when that is given."""
    if steps is None:
        return check_int("max_length", max_length, 0)
    warnings.warn(
        "`steps` is deprecated; use `max_length` (the generation length in every nlpkit "
        "generator).",
        DeprecationWarning,
        stacklevel=3,
    )
    if max_length != 64:
        raise ValueError(
            "Pass the generation length once, as `max_length` (`steps` is its deprecated name). "
            f"Received: max_length={max_length}, steps={steps}"
        )
    return check_int("steps", steps, 0)


# ============================================================================ the pipeline
class MusicGenerator(Pipeline):
    """A recurrent language model over musical events that trains, evaluates and generates music.

    Args:
        representation: `"tokens"` (one melodic line of note/rest events, softmax) or
            `"piano_roll"` (polyphonic steps over the 88 piano keys, sigmoid per key).
        cell: Recurrent cell, `"rnn"`, `"gru"` or `"lstm"`.
        key_model: Piano roll only: `"nade"` (the keys of a step in pitch order, each conditioned
            on the keys below it, RNN-NADE) or `"independent"` (each key a Bernoulli variable
            given the past only).
        nade_hidden: Hidden units of the NADE (when `key_model="nade"`).
        hidden_size: Units per recurrent layer.
        num_layers: Stacked recurrent layers.
        dropout: Dropout before each recurrent layer, in [0, 1).
        embedding_dim: Event embedding size (tokens only).
        attention_window: If > 0, add self-attention over the last `attention_window` steps.
        attention_heads: Attention heads (when `attention_window > 0`).
        sequence_length: Training window length in steps; longer pieces are cut into windows.
        batch_size: Training batch size.
        learning_rate: Adam learning rate.
        transpositions: Semitone shifts used to augment the training data (0 = as written), e.g.
            `[-2, -1, 0, 1, 2]`; shifted copies leaving the MIDI (tokens) or piano range are dropped.
        part: Which part `tokens` reads from a score: index of the pitched parts, a part name
            (`"Soprano"`), or None for the first pitched part.
        grid: Token durations and onsets are rounded to this many quarter notes.
        max_duration: Longest token duration in quarter notes.
        step_length: Quarter notes per piano-roll step.
        early_stopping: Patience (epochs) on validation loss when validation data is given;
            None disables it.
        seed: Seed for weights, shuffling and the default generation seed; a CPU run repeats.
        verbose: Keras progress output (`"auto"`, 0, 1, 2).
        shuffle_buffer: Training windows held by the shuffle buffer when `fit` streams music
            files or a `tf.data.Dataset` (in-memory lists are shuffled whole).
        distribution: None (one device, Keras `fit`), 'mirrored', 'multi_worker' or a
            `tf.distribute.Strategy` (see docs/training.md; None in `get_config` if an instance).
        checkpoint_dir: Folder for resumable checkpoints (`fit` again resumes after a kill).
        checkpoint_every: Steps between checkpoints (one is also written at each epoch end).
        max_minutes: Training time budget; training ends cleanly, best weights kept.
        max_steps: Optimizer step budget; training ends cleanly, best weights kept.
        log_dir: TensorBoard folder (loss, metrics, learning rate, examples/s).

    Raises:
        ValueError: an option is outside its allowed values (e.g. `cell="lstn"`).
        TypeError: an option has the wrong type (e.g. `transpositions=[0.5]`).

    Example:
        >>> pieces = [["n60:1", "n62:1", "n64:2"], ["n67:1", "r:1", "n65:1", "n64:1"]]
        >>> gen = MusicGenerator(hidden_size=8, seed=0, verbose=0).fit(pieces, epochs=1)
        >>> len(gen.generate_events(max_length=8, seed=1))
        8
        >>> gen.save_midi("sample.mid", max_length=8, seed=1).name
        'sample.mid'

    With music21's corpus instead: `MusicGenerator(hidden_size=64, seed=0).fit(
    nlpkit.data.music.read_corpus("bach/chorales", limit=20), epochs=5)`.
    """

    export_name = "music"

    def __init__(
        self,
        representation: str = "tokens",
        cell: str = "lstm",
        key_model: str = "nade",
        nade_hidden: int = 64,
        hidden_size: int = 128,
        num_layers: int = 2,
        dropout: float = 0.2,
        embedding_dim: int = 64,
        attention_window: int = 0,
        attention_heads: int = 2,
        sequence_length: int = 64,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        transpositions: list[int] | tuple[int, ...] = (0,),
        part: int | str | None = None,
        grid: float = 0.25,
        max_duration: float = 8.0,
        step_length: float = 1.0,
        early_stopping: int | None = 3,
        seed: int | None = None,
        verbose: int | str = "auto",
        shuffle_buffer: int = DEFAULT_SHUFFLE_BUFFER,
        distribution: Any = None,
        checkpoint_dir: str | os.PathLike | None = None,
        checkpoint_every: int = 100,
        max_minutes: float | None = None,
        max_steps: int | None = None,
        log_dir: str | os.PathLike | None = None,
    ):
        self.representation = check_choice("representation", representation, REPRESENTATIONS)
        self.cell = check_choice("cell", cell, CELLS)
        self.key_model = check_choice("key_model", key_model, KEY_MODELS)
        self.nade_hidden = check_int("nade_hidden", nade_hidden, 1)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        self.num_layers = check_int("num_layers", num_layers, 1)
        self.dropout = check_float("dropout", dropout, 0.0, 1.0, high_inclusive=False)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, 1)
        self.attention_window = check_int("attention_window", attention_window, 0)
        self.attention_heads = check_int("attention_heads", attention_heads, 1)
        self.sequence_length = check_int("sequence_length", sequence_length, 2)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, low_inclusive=False)
        if isinstance(transpositions, (int, str)) or not all(
            isinstance(t, int) and not isinstance(t, bool) for t in transpositions
        ):
            raise TypeError(
                f"`transpositions` must be a list of integer semitone shifts. Received: transpositions={transpositions!r}"
            )
        self.transpositions = list(transpositions) or [0]
        if part is not None and (isinstance(part, bool) or not isinstance(part, (int, str))):
            raise TypeError(
                f"`part` must be a part index, a part name or None. Received: part={part!r}"
            )
        self.part = part
        self.grid = check_float("grid", grid, 0.0, low_inclusive=False)
        self.max_duration = check_float("max_duration", max_duration, self.grid)
        self.step_length = check_float("step_length", step_length, 0.0, low_inclusive=False)
        self.early_stopping = check_int("early_stopping", early_stopping, 1, allow_none=True)
        self.seed = check_seed("seed", seed)
        self.verbose = check_choice("verbose", verbose, ("auto", 0, 1, 2))
        self.shuffle_buffer = check_int("shuffle_buffer", shuffle_buffer, 1)
        engine = check_training_settings(
            distribution=distribution,
            checkpoint_dir=checkpoint_dir,
            checkpoint_every=checkpoint_every,
            max_minutes=max_minutes,
            max_steps=max_steps,
            log_dir=log_dir,
        )
        self.distribution = engine["distribution"]
        self.checkpoint_dir = engine["checkpoint_dir"]
        self.checkpoint_every = engine["checkpoint_every"]
        self.max_minutes = engine["max_minutes"]
        self.max_steps = engine["max_steps"]
        self.log_dir = engine["log_dir"]

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MusicGenerator:
        """Create an unfitted generator from `get_config()` output. A piano-roll config written
        before `key_model` existed describes the independent-key model, and loads as one."""
        config = dict(config)
        if config.get("representation") == "piano_roll":
            config.setdefault("key_model", "independent")
        return super().from_config(config)

    # ------------------------------------------------------------------ data preparation
    def _as_pieces(self, x, name: str = "x") -> list:
        """Token lists (tokens) or (T, 88) uint8 rolls (piano_roll) from any accepted input."""
        if isinstance(x, tf.data.Dataset):
            x = list(x.as_numpy_iterator())
        if isinstance(x, (str, bytes, os.PathLike)) or not hasattr(x, "__iter__"):
            raise TypeError(
                f"`{name}` must be a list of music21 scores, token lists (tokens) or piano rolls "
                f"(piano_roll): read files with nlpkit.data.music.read_music. Received: {type(x).__name__}"
            )
        items = list(x)
        if not items:
            raise ValueError(f"`{name}` is empty: at least one piece is needed.")
        pieces = []
        for i, item in enumerate(items):
            piece = self._as_piece(item, f"{name}[{i}]")
            if len(piece) == 0:
                continue
            pieces.append(piece)
        if not pieces:
            raise ValueError(f"`{name}` holds no notes: every piece was empty after conversion.")
        return pieces

    def _as_piece(self, item, where: str):
        is_stream = type(item).__module__.startswith("music21")
        if self.representation == "tokens":
            if is_stream:
                return me.tokenise(item, self.part, grid=self.grid, max_duration=self.max_duration)
            if isinstance(item, np.ndarray):
                item = item.tolist()
            if isinstance(item, (list, tuple)) and all(isinstance(t, (str, bytes)) for t in item):
                toks = [t.decode("utf-8") if isinstance(t, bytes) else t for t in item]
                for j, t in enumerate(toks):
                    if t not in me.SPECIAL_TOKENS:
                        try:
                            me.token_to_event(t)
                        except ValueError as e:  # say which piece and event it is
                            raise ValueError(f"{where}[{j}]: {e}") from None
                return [t for t in toks if t not in me.SPECIAL_TOKENS]
            raise TypeError(
                f"{where}: expected a music21 score or a list of event tokens like 'n60:1'. "
                f"Received: {type(item).__name__}"
            )
        if is_stream:
            return me.score_to_pianoroll(item, step_length=self.step_length)
        if isinstance(item, np.ndarray) and item.ndim == 2:
            if item.shape[1] != me.NUM_KEYS:
                raise ValueError(
                    f"{where}: a piano roll must have shape (steps, 88). Received shape {item.shape}"
                )
            return (item > 0.5).astype(np.uint8)
        if isinstance(item, (list, tuple)) and all(isinstance(s, (list, tuple)) for s in item):
            return me.steps_to_pianoroll(item, where=where)
        raise TypeError(
            f"{where}: expected a music21 score, a (steps, 88) array or a list of steps of MIDI "
            f"pitches. Received: {type(item).__name__}"
        )

    def _augment(self, pieces: list) -> list:
        out = []
        for shift in self.transpositions:
            for p in pieces:
                if self.representation == "tokens":
                    t = me.transpose_tokens(p, shift)
                    if t is not None:
                        out.append(t)
                else:
                    if shift == 0:
                        out.append(p)
                        continue
                    on = np.flatnonzero(p.any(axis=0))
                    if len(on) and 0 <= on.min() + shift and on.max() + shift < me.NUM_KEYS:
                        out.append(np.roll(p, shift, axis=1))
        return out

    def _encode(self, piece) -> np.ndarray:
        """Full model input/target sequence for one piece: ids with <start>/<end>, or a roll."""
        if self.representation == "tokens":
            ids = self._special
            return np.array(
                [ids.bos] + [self._index.get(t, ids.unk) for t in piece] + [ids.eos], np.int32
            )
        return piece

    def _windows(self, pieces: list):
        """(inputs, targets) arrays cut into windows of `sequence_length`, zero-padded.

        Token targets use id 0 (`<pad>`) for padding; piano-roll targets carry an 89th column
        that is 1 on real steps, so the losses average over real positions only.
        """
        length = self.sequence_length
        xs, ys = [], []
        for piece in pieces:
            if self.representation == "tokens":
                seq = self._encode(piece)
                inp, tgt = seq[:-1], seq[1:]
            else:
                roll = piece.astype(np.float32)
                start = np.zeros((1, me.NUM_KEYS + 1), np.float32)
                start[0, -1] = 1
                inp = np.concatenate([start, np.pad(roll[:-1], ((0, 0), (0, 1)))], axis=0)
                tgt = np.pad(roll, ((0, 0), (0, 1)), constant_values=1.0)
            for k in range(0, len(tgt), length):
                xi, yi = inp[k : k + length], tgt[k : k + length]
                pad = [(0, length - len(yi))] + [(0, 0)] * (xi.ndim - 1)
                xs.append(np.pad(xi, pad))
                ys.append(np.pad(yi, pad))
        return np.stack(xs), np.stack(ys)

    def _dataset(self, pieces, shuffle: bool):
        x, y = self._windows(pieces)
        if self._nade:
            ds = tf.data.Dataset.from_tensor_slices(((x, y[..., : me.NUM_KEYS]), y))
        else:
            ds = tf.data.Dataset.from_tensor_slices((x, y))
        if shuffle:
            ds = ds.shuffle(len(x), seed=self.seed, reshuffle_each_iteration=True)
        return ds.batch(self.batch_size)

    # ------------------------------------------------------------------ model
    def _build_model(self) -> keras.Model:
        model = build_music_lm(
            self.representation,
            vocab_size=len(self.vocabulary_) if self.representation == "tokens" else None,
            embedding_dim=self.embedding_dim,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            dropout=self.dropout,
            attention_window=self.attention_window,
            attention_heads=self.attention_heads,
            key_model=self.key_model,
            nade_hidden=self.nade_hidden,
            legacy_attention=getattr(self, "_legacy_attention", False),
        )
        model.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate, clipnorm=1.0),
            loss=token_loss if self.representation == "tokens" else pianoroll_loss,
        )
        return model

    @property
    def _nade(self) -> bool:
        """True when the model's output is the NADE over the keys of a step (it then also takes
        the step's true keys as a second input, each key seeing only the keys below it)."""
        return self.representation == "piano_roll" and self.key_model == "nade"

    @property
    def _special(self) -> SpecialIds:
        """The special ids of `vocabulary_`, read from its tokens: the shared ids for a vocabulary
        built now, the old `<pad> <start> <end> <unk>` order for one saved before."""
        return special_ids_from_tokens(
            self.vocabulary_, pad="<pad>", unk="<unk>", bos="<start>", eos="<end>"
        )

    @property
    def _index(self) -> dict[str, int]:
        if getattr(self, "_index_cache", None) is None or len(self._index_cache) != len(
            self.vocabulary_
        ):
            self._index_cache = {t: i for i, t in enumerate(self.vocabulary_)}
        return self._index_cache

    # ------------------------------------------------------------------ fit / evaluate
    def fit(
        self, x, y=None, *, validation_data=None, epochs: int = 10, callbacks=None
    ) -> MusicGenerator:
        """Train on pieces of music.

        Args:
            x: A list of music21 scores (e.g. from `nlpkit.data.music.read_music` /
                `read_corpus`), or already-converted pieces: token lists (`["n60:1", "r:0.5",
                ...]`) for tokens, `(steps, 88)` arrays or lists of steps of MIDI pitches (the
                JSB layout) for piano_roll. Or music files, streamed: a path, a glob, a folder
                or a list of `pathlib.Path`s of MIDI / MusicXML / ABC files (parsed by music21
                one file at a time; a file that cannot be read is skipped with a
                `SkippedMusicWarning`) or JSB Chorales JSON files (their `"train"` split); or
                a `tf.data.Dataset` of pieces, also streamed. Streamed pieces are read once for
                the event vocabulary (counts capped in memory), then once per epoch, cut into
                windows, through a bounded shuffle buffer (`shuffle_buffer`).
            y: Unused (the targets are the next events); must be None.
            validation_data: Pieces in the same forms (read into memory; JSB JSON files give
                their `"valid"` split), used for early stopping.
            epochs: Maximum number of passes over the training windows.
            callbacks: Extra Keras callbacks.

        Returns:
            self, fitted (`model_`, `vocabulary_`, `history_`, `card_`).

        Raises:
            ValueError / TypeError: inputs in the wrong form or with no notes.
        """
        if y is not None:
            raise ValueError(
                "`y` must be None: a MusicGenerator learns to predict the next event of `x`."
            )
        epochs = check_int("epochs", epochs, 1)
        trainer = Trainer.from_pipeline(self)
        trainer.strategy  # noqa: B018  (created before the model, as TensorFlow requires)
        stream = self._stream(x, "x", trainer.strategy)
        if stream is not None:
            return self._fit_stream(stream, validation_data, epochs, callbacks, trainer)
        pieces = self._as_pieces(x, "x")
        val = (
            self._as_pieces(validation_data, "validation_data")
            if validation_data is not None
            else None
        )
        set_seed(self.seed)
        train = self._augment(pieces)
        if not train:
            raise ValueError(
                f"Every transposed copy of the training pieces left the pitch range; check "
                f"`transpositions`. Received: transpositions={self.transpositions}"
            )
        if self.representation == "tokens":
            counts = Counter(t for p in train for t in p)
            self.vocabulary_ = list(me.SPECIAL_TOKENS) + sorted(
                counts, key=lambda t: (-counts[t], t)
            )
            self._index_cache = None
        else:
            self.vocabulary_ = None
        self.model_ = None
        self._sampler = None
        self._legacy_attention = False
        with trainer.scope():
            model = self._build_model()
        train_ds = self._dataset(train, shuffle=True)
        val_ds = self._dataset(val, shuffle=False) if val else None
        history = self._fit_model(model, train_ds, val_ds, epochs, callbacks, trainer)
        if self.representation == "tokens":
            data_hash = hash_strings(" ".join(p) for p in pieces)
        else:
            data_hash = hash_strings(p.tobytes().hex() for p in pieces)
        self.card_ = {
            "seed": self.seed,
            "data_hash": data_hash,
            "pieces": len(pieces),
            "training_pieces_after_augmentation": len(train),
            "epochs_run": len(history.history.get("loss", [])),
            "metrics": {"train_loss": self.history_["loss"][-1]},
        }
        if val:
            self.card_["metrics"].update({f"valid_{k}": v for k, v in self.evaluate(val).items()})
        return self

    # ------------------------------------------------------------------ streamed input
    def _file_pieces(self, path: str, split: str = "train"):
        """The pieces of one music file, converted (empty ones left out): a JSB Chorales JSON
        file's `split`, or the scores music21 reads from a MIDI / MusicXML / ABC file (a file
        it cannot read is skipped with a `SkippedMusicWarning` naming it)."""
        from nlpkit.data import music as readers

        if path.lower().endswith(".json"):
            splits = readers.read_jsb_json(path)
            if split not in splits:
                raise ValueError(
                    f"{path}: a JSB Chorales file given to MusicGenerator needs a {split!r} "
                    f"split. Received splits: {sorted(splits)}"
                )
            items = splits[split]
        else:
            try:
                items = readers.read_music(path, recursive=False)
            except ValueError as e:  # nothing readable in this file: skip it, say which
                warnings.warn(str(e), readers.SkippedMusicWarning, stacklevel=2)
                return
        for i, item in enumerate(items):
            piece = self._as_piece(item, f"{path}: piece {i}")
            if len(piece):
                yield piece

    def _stream(self, x, name: str, strategy=None):
        """For music files or a `tf.data.Dataset`: `(raw, windows)`: `raw()` iterates the
        converted pieces in Python (the vocabulary pass), `windows()` returns the unbatched
        tf.data stream of training windows (after the vocabulary is set; this worker's share of
        the files under a multi-worker strategy). None for in-memory input."""
        if isinstance(x, tf.data.Dataset):

            def raw():
                for i, item in enumerate(x.as_numpy_iterator()):
                    piece = self._as_piece(item, f"{name}[{i}]")
                    if len(piece):
                        yield piece

            def windows():
                return tf.data.Dataset.from_generator(
                    lambda: (w for piece in raw() for w in self._piece_windows(piece)),
                    output_signature=self._window_spec(),
                )

            return raw, windows
        files = music_files(x, name)
        if files is None:
            return None

        def raw():
            for f in files:
                yield from self._file_pieces(f)

        def read(path):
            with warnings.catch_warnings():  # the vocabulary pass reported skipped files
                warnings.simplefilter("ignore")
                for piece in self._file_pieces(path):
                    yield from self._piece_windows(piece)

        shard = worker_shard(strategy)
        return raw, lambda: files_dataset(files, read, self._window_spec(), shard=shard)

    def _piece_windows(self, piece):
        """The training windows of one piece and its transposed copies, as `_dataset` makes
        them (NADE models take the keys of each step as a second input)."""
        copies = self._augment([piece])
        if not copies:
            return
        x, y = self._windows(copies)
        for xi, yi in zip(x, y, strict=True):
            yield ((xi, yi[..., : me.NUM_KEYS]), yi) if self._nade else (xi, yi)

    def _window_spec(self):
        length = self.sequence_length
        if self.representation == "tokens":
            return (
                tf.TensorSpec((length,), tf.int32),
                tf.TensorSpec((length,), tf.int32),
            )
        x = tf.TensorSpec((length, me.NUM_KEYS + 1), tf.float32)
        y = tf.TensorSpec((length, me.NUM_KEYS + 1), tf.float32)
        if self._nade:
            return (x, tf.TensorSpec((length, me.NUM_KEYS), tf.float32)), y
        return x, y

    def _fit_stream(self, stream, validation_data, epochs, callbacks, trainer) -> MusicGenerator:
        """`fit` on music files or a dataset: see `fit`."""
        import hashlib

        raw, windows = stream
        trainer.loop = "custom"  # streams of unknown length: the engine's own loop
        val = None
        if validation_data is not None:
            val_files = music_files(validation_data, "validation_data")
            if val_files is not None:
                val = [p for f in val_files for p in self._file_pieces(f, split="valid")]
                if not val:
                    raise ValueError("`validation_data` holds no notes.")
            else:
                val = self._as_pieces(validation_data, "validation_data")
        set_seed(self.seed)
        # One pass: event counts (tokens; capped in memory, though events are bounded by the
        # pitch range and the duration grid), piece counts, the data hash.
        counts = CappedCounter(100_000)
        digest = hashlib.sha256()
        n_pieces = n_copies = 0
        for piece in raw():
            n_pieces += 1
            if self.representation == "tokens":
                digest.update(" ".join(piece).encode("utf-8") + b"\x00")  # as hash_strings
            else:
                digest.update(piece.tobytes().hex().encode("utf-8") + b"\x00")
            copies = self._augment([piece])
            n_copies += len(copies)
            if self.representation == "tokens":
                for copy in copies:
                    counts.update(copy)
        if not n_pieces:
            raise ValueError("`x` holds no notes: every piece was empty after conversion.")
        if not n_copies:
            raise ValueError(
                f"Every transposed copy of the training pieces left the pitch range; check "
                f"`transpositions`. Received: transpositions={self.transpositions}"
            )
        if self.representation == "tokens":
            self.vocabulary_ = list(me.SPECIAL_TOKENS) + [
                t for t, _ in sorted(counts.items(), key=lambda tc: (-tc[1], tc[0]))
            ]
            self._index_cache = None
        else:
            self.vocabulary_ = None
        self.model_ = None
        self._sampler = None
        self._legacy_attention = False
        with trainer.scope():
            model = self._build_model()

        def train_data(epoch):
            ds = shuffled(windows(), self.shuffle_buffer, self.seed, epoch)
            return ds.batch(self.batch_size).prefetch(tf.data.AUTOTUNE)

        val_ds = self._dataset(val, shuffle=False) if val else None
        history = self._fit_model(model, train_data, val_ds, epochs, callbacks, trainer)
        self.card_ = {
            "seed": self.seed,
            "data_hash": digest.hexdigest()[:16],
            "train_data": "streamed",
            "pieces": n_pieces,
            "training_pieces_after_augmentation": n_copies,
            "epochs_run": len(history.history.get("loss", [])),
            "metrics": {"train_loss": self.history_["loss"][-1]},
        }
        if val:
            self.card_["metrics"].update({f"valid_{k}": v for k, v in self.evaluate(val).items()})
        return self

    def _logits(self, pieces: list) -> list[np.ndarray]:
        """Per-piece next-step logits over the whole piece (no windowing), in length buckets."""
        encoded = []
        for p in pieces:
            if self.representation == "tokens":
                encoded.append(self._encode(p)[:-1])
            else:
                start = np.zeros((1, me.NUM_KEYS + 1), np.float32)
                start[0, -1] = 1
                encoded.append(
                    np.concatenate([start, np.pad(p[:-1].astype(np.float32), ((0, 0), (0, 1)))])
                )
        order = np.argsort([len(e) for e in encoded], kind="stable")
        targets = [p.astype(np.float32) for p in pieces] if self._nade else None
        out: list[Any] = [None] * len(encoded)
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            longest = max(len(encoded[i]) for i in idx)
            batch = np.stack(
                [
                    np.pad(
                        encoded[i],
                        [(0, longest - len(encoded[i]))] + [(0, 0)] * (encoded[i].ndim - 1),
                    )
                    for i in idx
                ]
            )
            if self._nade:
                keys = np.stack(
                    [np.pad(targets[i], [(0, longest - len(targets[i])), (0, 0)]) for i in idx]
                )
                batch = [batch, keys]
            logits = self._logits_fn()(*self._as_model_inputs(batch)).numpy()
            for row, i in enumerate(idx):
                out[i] = logits[row, : len(encoded[i])]
        return out

    def _as_model_inputs(self, batch) -> list[tf.Tensor]:
        arrays = batch if isinstance(batch, list) else [batch]
        return [
            tf.constant(a, dtype=i.dtype) for a, i in zip(arrays, self.model_.inputs, strict=True)
        ]

    def _logits_fn(self):
        """The traced `inputs -> logits` function of the current model (cached, rebuilt when
        `model_` is replaced). Its signature has `None` batch and time dimensions, so every
        batch shape reuses one trace."""

        def build():
            model = self.model_
            signature = [tf.TensorSpec(i.shape, i.dtype) for i in model.inputs]

            @tf.function(input_signature=signature)
            def logits(*inputs):
                return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

            return logits

        return cached_function(self, "_logits_cache", (self.model_,), build)

    def evaluate(self, x, y=None) -> dict[str, float]:
        """Negative log-likelihood of `x` under the model, in nats (whole pieces, no windowing).

        Args:
            x: Pieces in any form `fit` accepts.
            y: Unused; must be None.

        Returns:
            Piano roll: `nll_per_step` (summed binary cross-entropy over the 88 keys, averaged over
            steps), `bits_per_step`, `steps`. Tokens: `nll_per_step` (mean over predicted tokens,
            the closing `<end>` included), `nll_per_event` (the same total over notes and rests
            only), `bits_per_step`, `perplexity`, `accuracy` (next-event argmax), `steps`,
            `events`. Tokens outside the vocabulary count as `<unk>`.
        """
        self._check_fitted("evaluate")
        if y is not None:
            raise ValueError("`y` must be None: the targets are the next events of `x`.")
        pieces = self._as_pieces(x, "x")
        logits = self._logits(pieces)
        if self.representation == "tokens":
            total, steps, correct = 0.0, 0, 0
            for p, lg in zip(pieces, logits, strict=True):
                target = self._encode(p)[1:]
                nll, n = sequence_nll(lg, target)
                total += nll
                steps += n
                correct += int((lg.argmax(-1) == target).sum())
            return music_metrics("tokens", total, steps, len(pieces), correct)
        total, steps = 0.0, 0
        for p, lg in zip(pieces, logits, strict=True):
            lg = lg.astype(np.float64)
            z = p.astype(np.float64)
            # numerically stable binary cross-entropy with logits, summed over keys
            bce = np.maximum(lg, 0) - lg * z + np.log1p(np.exp(-np.abs(lg)))
            total += float(bce.sum())
            steps += len(p)
        return music_metrics("piano_roll", total, steps, len(pieces))

    def predict(self, x) -> list[np.ndarray]:
        """Next-step probabilities at every position of each piece (`[]` for an empty list).

        Returns:
            Tokens: one `(events + 1, vocabulary)` array per piece (softmax after `<start>` and
            after each event). Piano roll: one `(steps, 88)` array of per-key probabilities; with
            `key_model="nade"` entry `[t, k]` is `p(key k on | the earlier steps and the keys
            below k at step t)`, the conditionals whose product is the step's likelihood.
        """
        self._check_fitted("predict")
        if isinstance(x, (list, tuple)) and not x:  # an empty batch gives an empty result
            return []
        out = []
        for lg in self._logits(self._as_pieces(x, "x")):
            if self.representation == "tokens":
                e = np.exp(lg - lg.max(-1, keepdims=True))
                out.append(e / e.sum(-1, keepdims=True))
            else:
                out.append(1.0 / (1.0 + np.exp(-lg)))
        return out

    # ------------------------------------------------------------------ generation
    def _sampler_module(self) -> MusicSampler:
        if getattr(self, "_sampler", None) is None:
            tokens = self.representation == "tokens"
            self._sampler = MusicSampler(
                self.model_,
                hidden_size=self.hidden_size,
                attention_window=self.attention_window,
                vocabulary=self.vocabulary_ if tokens else None,
                special=self._special if tokens else None,
            )
        return self._sampler

    def _primer_array(self, primer) -> np.ndarray:
        if primer is None:
            shape = (1, 0) if self.representation == "tokens" else (1, 0, me.NUM_KEYS)
            return np.zeros(shape, np.int32 if self.representation == "tokens" else np.float32)
        piece = self._as_piece(primer, "primer")
        if self.representation == "tokens":
            unknown = sorted({t for t in piece if t not in self._index})
            if unknown:
                raise ValueError(
                    f"`primer` holds events the model never saw in training: {unknown[:10]}. "
                    "Use events from the training vocabulary (`vocabulary_`)."
                )
            return np.array([[self._index[t] for t in piece]], np.int32)
        return np.asarray(piece, np.float32)[None]

    def generate_events(
        self,
        primer=None,
        max_length: int = 64,
        temperature: float = 1.0,
        seed: int | None = None,
        *,
        steps: int | None = None,
        return_log_probs: bool = False,
    ):
        """Like `generate`, but return the raw new events: a token list or a
        `(max_length, 88)` array.

        With `return_log_probs=True`, return `(events, log_probs)`: `log_probs[i]` is the
        model's log-probability (natural log, temperature 1, given the primer and the events
        before it) of new event `i`: of the token, or of the step's whole 88-key vector (the
        sum of its keys' Bernoulli log-probabilities; with the NADE, each key given the keys
        below it). The exported `generate_scored` signature returns them as `log_probs`."""
        self._check_fitted("generate")
        steps = _max_length(max_length, steps)
        temperature = check_float("temperature", temperature, 0.0)
        seed = check_seed("seed", seed, maximum=MAX_GENERATION_SEED)
        return_log_probs = check_bool("return_log_probs", return_log_probs)
        if seed is None:
            seed = self.seed if self.seed is not None else int(np.random.randint(0, 2**31 - 1))
        sampler = self._sampler_module()
        out = (sampler.generate_scored if return_log_probs else sampler.generate)(
            tf.constant(self._primer_array(primer)),
            tf.constant(steps, tf.int32),
            tf.constant(temperature, tf.float32),
            tf.constant(seed, tf.int64),
        )
        if self.representation == "tokens":
            events = [t.decode("utf-8") for t in out["tokens"].numpy()[0]]
        else:
            events = out["piano_roll"].numpy()[0].astype(np.uint8)
        if return_log_probs:
            return events, out["log_probs"].numpy()[0].astype(np.float64)
        return events

    def generate(
        self,
        primer=None,
        max_length: int = 64,
        temperature: float = 1.0,
        seed: int | None = None,
        *,
        include_primer: bool = True,
        tempo: float | None = None,
        steps: int | None = None,
    ):
        """Generate music, optionally continuing a primer.

        Args:
            primer: None, a music21 score, or a piece in the form `fit` accepts (event tokens /
                piano roll). Its events condition the model and (by default) open the result.
            max_length: New events (tokens) or new steps (piano roll) to draw.
            temperature: Sampling temperature; 0 picks the most likely event (tokens) or turns
                on every key with probability > 0.5 (piano roll).
            seed: Seed of the stateless sampler; the same seed gives the same music (and the same
                as the exported `generate` signature). None: the pipeline's `seed`, else random.
            include_primer: Put the primer before the new music in the returned stream.
            tempo: Optional tempo in quarter notes per minute.
            steps: Deprecated name of `max_length` (a `DeprecationWarning`; removed in a later
                release).

        Returns:
            A `music21.stream.Score`.

        Raises:
            NotFittedError: called before `fit`.
            ValueError: bad `steps`/`temperature`, or a primer event outside the vocabulary.
        """
        new = self.generate_events(primer, _max_length(max_length, steps), temperature, seed)
        if self.representation == "tokens":
            head = (
                self._as_piece(primer, "primer") if (primer is not None and include_primer) else []
            )
            return me.detokenise(list(head) + new, tempo=tempo)
        if primer is not None and include_primer:
            new = np.concatenate([self._as_piece(primer, "primer"), new])
        return me.pianoroll_to_stream(new, step_length=self.step_length, tempo=tempo)

    def save_midi(self, path: str | os.PathLike, **generate_kwargs) -> Path:
        """Generate (arguments as in `generate`) and write a MIDI file; return its path."""
        return me.save_midi(self.generate(**generate_kwargs), path)

    def save_musicxml(self, path: str | os.PathLike, **generate_kwargs) -> Path:
        """Generate (arguments as in `generate`) and write a MusicXML file; return its path."""
        return me.save_musicxml(self.generate(**generate_kwargs), path)

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> None:
        # Files: model.keras (loaded as weights into a model rebuilt from the configuration);
        # vocabulary.txt for tokens (one event a line in id order, see `write_vocabulary`).
        self.model_.save(directory / _MODEL)
        if self.vocabulary_ is not None:
            write_vocabulary(directory / _VOCAB, self.vocabulary_)

    def _load_state(self, directory: Path) -> None:
        if self.representation != "tokens":
            self.vocabulary_ = None
        elif getattr(self, "_layout", LAYOUT) >= 2:
            self.vocabulary_ = read_vocabulary(directory / _VOCAB)
        else:  # nlpkit 0.1: one token a line, unescaped
            self.vocabulary_ = (directory / _VOCAB).read_text(encoding="utf-8").split("\n")[:-1]
        self._index_cache = None
        self._sampler = None
        weights = directory / _MODEL
        if not weights.is_file() and (directory / _WEIGHTS).is_file():
            weights = directory / _WEIGHTS  # nlpkit 0.1
        # a model first trained before the layer moved keeps its old name when saved again
        self._legacy_attention = weights.is_file() and has_legacy_attention(weights)
        model = self._build_model()
        model.optimizer.build(model.trainable_variables)  # the weights file holds its state too
        try:
            load_keras_weights(model, weights)
        except IntegrityError as e:
            if self.vocabulary_ is None:
                raise
            raise IntegrityError(
                f"{weights} does not fit {directory / _VOCAB} ({len(self.vocabulary_)} entries; "
                f"edited, truncated or from another model?): {e}"
            ) from e
        self.model_ = model

    def _check_structure(self, directory: Path) -> None:
        if self.vocabulary_ is not None:
            rows = self.model_.get_layer("embedding").input_dim
            check_rows(directory, _VOCAB, len(self.vocabulary_), rows, "embedding rows")

    def _export(self, directory: Path) -> None:
        """SavedModel with `generate` and the same function as `serving_default`.

        Inputs: `primer` (int32 `(batch, primer_len)` event ids for tokens, float32
        `(batch, primer_len, 88)` 0/1 steps for piano roll; `primer_len` may be 0), `max_length`
        (int32, >= 0; called `steps` in exports written before nlpkit 0.2), `temperature`
        (float32, finite, >= 0), `seed` (int64, >= 0); a bad value raises InvalidArgumentError
        naming it, as `generate` raises ValueError in Python. Outputs: `ids`
        (int32 `(batch, max_length)`) and `tokens` (string) for tokens, `piano_roll` (int32
        `(batch, max_length, 88)`) for piano roll. Decode with
        `nlpkit.data.music_events.decode_generated`. A third signature, `generate_scored`,
        takes the same inputs and also returns `log_probs` (float32 `(batch, max_length)`, each
        new event's log-probability, as `generate_events(return_log_probs=True)`); `generate`
        keeps its outputs so that REST clients see the same answers as before.

        A fourth signature, `score`, scores given music as `evaluate` does (teacher forcing):
        tokens take `events` (string `(batch, n)`, `""` pads a row at its end), piano roll takes
        `piano_roll` (float32 `(batch, n, 88)`) and `lengths` (int32 `(batch,)`, real steps per
        row); it returns `log_likelihood` (float32, nats summed over the row's predicted steps,
        `<end>` included for tokens), `num_steps` (int32) and, for tokens, `num_correct` (int32,
        steps whose most likely event is the true one). `music_metrics` turns the sums into
        `evaluate`'s metrics (what `nlpkit evaluate` does).

        `assets.extra/` holds the vocabulary (`vocabulary.txt`, tokens only), the configuration
        (`config.json`) and the timing of the events (`music.json`, see `timing_metadata`:
        `step_length` in quarter notes per piano-roll step, `seconds_per_step` at 120 quarter
        notes per minute), which the server's demo page uses to draw and write MIDI files.
        """
        module = self._sampler_module()
        vocab_size = None if self.vocabulary_ is None else len(self.vocabulary_)

        def checked(fn, name):
            def wrapper(primer, max_length, temperature, seed):
                return run_checked(fn, primer, max_length, temperature, seed)

            wrapper.__name__ = name  # unique function names in the SavedModel
            return tf.function(
                wrapper, input_signature=module.generate.input_signature, autograph=False
            ).get_concrete_function()

        def run_checked(fn, primer, max_length, temperature, seed):
            checks = [
                tf.debugging.assert_greater_equal(
                    max_length, 0, message="`max_length` must be >= 0"
                ),
                tf.debugging.assert_non_negative(seed, message="`seed` must be >= 0"),
                tf.debugging.assert_all_finite(
                    temperature, "`temperature` must be finite, not NaN or inf"
                ),
                tf.debugging.assert_greater_equal(
                    temperature,
                    0.0,
                    message="`temperature` must be >= 0 (0 picks the most likely)",
                ),
            ]
            if vocab_size is not None:  # event ids index the vocabulary
                checks += [
                    tf.debugging.assert_non_negative(primer, message="`primer` ids must be >= 0"),
                    tf.debugging.assert_less(
                        primer, vocab_size, message="`primer` ids must be < the vocabulary size"
                    ),
                ]
            else:
                checks.append(
                    tf.debugging.assert_all_finite(primer, "`primer` must be finite 0/1 steps")
                )
            with tf.control_dependencies(checks):  # every input waits for the checks
                primer, max_length, temperature, seed = (
                    tf.identity(t) for t in (primer, max_length, temperature, seed)
                )
            # one spare (all-zero) row, cut off again: an empty batch gives empty outputs
            n = tf.shape(primer)[0]
            primer = tf.pad(primer, [[0, 1]] + [[0, 0]] * (len(primer.shape) - 1))
            out = fn(primer, max_length, temperature, seed)
            return {key: value[:n] for key, value in out.items()}

        def score(*inputs):  # one spare (all-padding) row: an empty batch scores nothing
            n = tf.shape(inputs[0])[0]
            padded = [tf.pad(t, [[0, 1]] + [[0, 0]] * (len(t.shape) - 1)) for t in inputs]
            return {key: value[:n] for key, value in module.score(*padded).items()}

        score.__name__ = "music_score"
        concrete = checked(module.generate, "music_generate")
        signatures = {
            "serving_default": concrete,
            "generate": concrete,
            "generate_scored": checked(module.generate_scored, "music_generate_scored"),
            "score": tf.function(
                score, input_signature=module.score.input_signature, autograph=False
            ).get_concrete_function(),
        }
        tf.saved_model.save(module, str(directory), signatures=signatures)
        extra = directory / "assets.extra"
        extra.mkdir(exist_ok=True)
        if self.vocabulary_ is not None:
            write_vocabulary(extra / _VOCAB, self.vocabulary_)
        config = self.get_config()
        write_json(extra / "config.json", {"class": type(self).__name__, "config": config})
        write_json(extra / "music.json", timing_metadata(config))


# ============================================================================ recipes
def run_recipe(recipe: dict, recipe_path: Path | None = None) -> dict:
    """Moved to `nlpkit.recipes.music.run_recipe`; this name keeps working."""
    from nlpkit.recipes.music import run_recipe as run

    return run(recipe, recipe_path)
