"""`CharGenerator`: character-level language models (names one a line, or running text).

Two ways to read text:

- `mode="lines"`: every string (every line of a file) is one item, framed by start and end
  markers; the model learns to generate whole items (dinosaur names, first names) and stops by
  itself. Greedy decoding and beam search are available besides sampling.
- `mode="stream"`: continuous text (a play, a book) cut into windows of `seq_len` characters; the
  model continues a prompt for `max_length` characters.

In both modes the model reads `[start] c1 ... c(n-1)` and predicts `c1 ... cn` (plus `[end]` in
`mode="lines"`), so every character of the data is predicted exactly once and an empty prompt
means "start of an item" (lines) or "start of a window" (stream).

Generation steps the trained `RecurrentStack` one character at a time (`RecurrentStack.step`)
and decodes with `nlpkit.decoding` inside the graph: `Sampling` (temperature / top-k / top-p) for
sampling and greedy decoding, `BeamSearch` for beam search. `generate()` calls exactly the graph
functions that `export()` saves (`generate`, `generate_filtered`, `beam_search`), so a reloaded
SavedModel gives the same texts for the same seed.

The network and that graph module (`CharLM`) live in `nlpkit.models.char_lm`; this module holds
the pipeline.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nlpkit.data.streaming import (
    DEFAULT_SHUFFLE_BUFFER,
    files_dataset,
    length_buckets,
    named_files,
    shuffled,
    unbatched,
    worker_shard,
)
from nlpkit.data.text_lines import iter_lines, iter_text_chunks, read_lines, read_text
from nlpkit.data.tfdata import dataset_to_lists
from nlpkit.errors import IntegrityError
from nlpkit.layers.recurrent_stack import CELLS
from nlpkit.metrics.language_model import lm_metrics
from nlpkit.models.char_lm import CharLM, build_char_lm
from nlpkit.pipelines.base import Pipeline, check_rows
from nlpkit.pipelines.training import set_seed
from nlpkit.text.char_vocabulary import (
    BOS_ID,
    PAD_ID,
    SPECIAL_TOKENS,
    UNKNOWN_POLICIES,
    CharVocabulary,
)
from nlpkit.training import Trainer, check_training_settings
from nlpkit.utils.files import (
    hash_strings,
    load_keras_model,
    read_json,
    read_vocabulary,
    write_json,
    write_vocabulary,
)
from nlpkit.utils.inference import after_checks, with_spare_row
from nlpkit.utils.validation import (
    MAX_BEAM_WIDTH,
    MAX_GENERATION_SEED,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_seed,
    check_texts,
    generation_checks,
)

__all__ = ["CharGenerator", "run_recipe", "MODES", "METHODS"]

MODES = ("lines", "stream")
WINDOWS = ("random", "fixed")
METHODS = ("sample", "greedy", "beam")
INPUT_ENCODINGS = ("embedding", "one_hot")
_NEG = -1e9
_MODEL_FILE = "model.keras"
_VOCAB_FILE = "vocabulary.txt"
_OLD_VOCAB_FILE = "vocabulary.json"  # nlpkit 0.1
_STATE_FILE = "state.json"
# The graph module moved to nlpkit.models.char_lm; the old private name stays.
_CharLM = CharLM


# ---------------------------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------------------------
class CharGenerator(Pipeline):
    """A character-level language model that generates, scores and evaluates text.

    Args:
        mode: 'lines' (each string/line is an item framed by start/end markers; generation
            stops at the end marker) or 'stream' (continuous text cut into `seq_len` windows).
        seq_len: Window length in characters for `mode="stream"` (ignored for 'lines').
        windows: How 'stream' mode cuts training windows: 'random' (each epoch draws as many
            windows as the text holds, at uniformly random start positions, so the model sees
            fresh cuts every epoch, as nanoGPT's batches do) or 'fixed' (the same
            non-overlapping windows every epoch, shuffled). Validation, `evaluate` and `score`
            always use the fixed windows.
        cell: Recurrent cell: 'rnn', 'gru' or 'lstm'.
        num_layers: Stacked recurrent layers.
        hidden_size: Units per recurrent layer.
        dropout: Dropout before each recurrent layer and before the output layer.
        input_encoding: 'embedding' (learned, `embedding_dim` wide) or 'one_hot' (fixed).
        embedding_dim: Width of the learned character embedding.
        min_count: Characters seen fewer times in the training data become the unknown id.
        max_chars: Keep at most this many characters (most frequent); None keeps all.
        unknown: What happens to characters outside the vocabulary in prompts, `score` and
            `evaluate` texts: 'replace' (fed as the unknown id; its embedding is trained only if
            the training data had characters rarer than `min_count`), 'skip' (dropped) or
            'error' (`ValueError`). Training data always maps rare characters to the unknown id.
            Returned texts always start with the prompt exactly as given.
        learning_rate: Adam learning rate.
        clipnorm: Gradient-norm clipping (the course clips at 5); None disables it.
        batch_size: Items (lines) or windows (stream) per training batch.
        early_stopping: Patience in epochs when `validation_data` is given; None disables it.
        seed: Seeds weight initialisation and shuffling so that a CPU run repeats.
        verbose: Keras progress display during `fit`: 'auto', 0 (silent), 1 or 2.
        shuffle_buffer: Items (lines) or windows (stream) held by the shuffle buffer when `fit`
            streams text files or a `tf.data.Dataset` (in-memory lists are shuffled whole).
        distribution: None (one device, Keras `fit`), 'mirrored', 'multi_worker' or a
            `tf.distribute.Strategy` (see docs/training.md; None in `get_config` if an instance).
        checkpoint_dir: Folder for resumable checkpoints (`fit` again resumes after a kill).
        checkpoint_every: Steps between checkpoints (one is also written at each epoch end).
        max_minutes: Training time budget; training ends cleanly, best weights kept.
        max_steps: Optimizer step budget; training ends cleanly, best weights kept.
        log_dir: TensorBoard folder (loss, metrics, learning rate, examples/s).

    Example:
        >>> gen = CharGenerator(hidden_size=32, seed=0, verbose=0)
        >>> gen = gen.fit(["anna", "bella", "carla"], epochs=2)
        >>> len(gen.generate(n=3, seed=1))
        3
    """

    export_name = "chargen"

    def __init__(
        self,
        mode: str = "lines",
        seq_len: int = 100,
        windows: str = "random",
        cell: str = "lstm",
        num_layers: int = 1,
        hidden_size: int = 128,
        dropout: float = 0.0,
        input_encoding: str = "embedding",
        embedding_dim: int = 32,
        min_count: int = 1,
        max_chars: int | None = None,
        unknown: str = "replace",
        learning_rate: float = 3e-3,
        clipnorm: float | None = 5.0,
        batch_size: int = 64,
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
        self.mode = check_choice("mode", mode, MODES)
        self.seq_len = check_int("seq_len", seq_len, 2)
        self.windows = check_choice("windows", windows, WINDOWS)
        self.cell = check_choice("cell", cell, CELLS)
        self.num_layers = check_int("num_layers", num_layers, 1)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        self.dropout = check_float("dropout", dropout, 0.0, 1.0, high_inclusive=False)
        self.input_encoding = check_choice("input_encoding", input_encoding, INPUT_ENCODINGS)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, 1)
        self.min_count = check_int("min_count", min_count, 1)
        self.max_chars = check_int("max_chars", max_chars, 1, allow_none=True)
        self.unknown = check_choice("unknown", unknown, UNKNOWN_POLICIES)
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, low_inclusive=False)
        self.clipnorm = check_float("clipnorm", clipnorm, 0.0, low_inclusive=False, allow_none=True)
        self.batch_size = check_int("batch_size", batch_size, 1)
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

    # ------------------------------------------------------------------ data
    def _texts(self, x: Any, name: str) -> list[str]:
        """Accept a list of strings, a `tf.data.Dataset` of strings, or text files (read whole:
        validation, `evaluate` and `score` data; `fit` streams its training files)."""
        files = named_files(x, name)
        if files is not None:
            if self.mode == "lines":
                return [line for f in files for line in read_lines(f)]
            return [read_text(f) for f in files]
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            x, labels = dataset_to_lists(x)
            if labels is not None:
                raise ValueError(
                    f"`{name}` must be a tf.data.Dataset of strings, not of pairs: a character "
                    f"language model learns from text alone. Received elements with spec: {spec}"
                )
        if isinstance(x, str):
            raise TypeError(
                f"`{name}` must be a list of strings, a tf.data.Dataset of strings or text "
                f"files, not a single string (no file of that name exists). Use [text] for one "
                f"text or Path({x!r:.40}) for a file."
            )
        texts = check_texts(name, x)
        if self.mode == "lines":
            texts = [t for t in texts if t]
            if not texts:
                raise ValueError(f"`{name}` has no non-empty items.")
        return texts

    def _items(self, texts: list[str]) -> list[str]:
        """Lines mode: the items; stream mode: the texts cut into `seq_len` windows."""
        if self.mode == "lines":
            return texts
        return [t[i : i + self.seq_len] for t in texts for i in range(0, len(t), self.seq_len)]

    def _arrays(self, items: list[str], vocab: CharVocabulary) -> tuple[np.ndarray, np.ndarray]:
        framed = [
            vocab.encode(s, add_bos=True, add_eos=self.mode == "lines")
            for s in items
            if s or self.mode == "lines"
        ]
        width = max(len(f) for f in framed)
        mat = np.full((len(framed), width), PAD_ID, np.int32)
        for i, f in enumerate(framed):
            mat[i, : len(f)] = f
        return mat[:, :-1], mat[:, 1:]

    def _random_windows(self, texts: list[str], vocab: CharVocabulary) -> tf.data.Dataset:
        """Stream mode, `windows="random"`: each epoch draws as many windows as the fixed cut
        has, at uniformly random start positions that keep a window inside its text."""
        length = self.seq_len
        pieces, starts, offset = [], [], 0
        for t in texts:
            if not t:
                continue
            ids = np.asarray(vocab.encode(t, add_bos=False, add_eos=False), np.int32)
            pieces.append(np.concatenate([ids, np.full(length, PAD_ID, np.int32)]))
            starts.append(offset + np.arange(max(len(ids) - length, 0) + 1))
            offset += len(ids) + length
        corpus = tf.constant(np.concatenate(pieces))
        pool = tf.constant(np.concatenate(starts).astype(np.int64))
        n_windows = sum(-(-len(t) // length) for t in texts if t)
        bos = tf.constant([BOS_ID], tf.int32)

        def window(r):
            start = tf.gather(pool, tf.math.floormod(r, tf.size(pool, out_type=tf.int64)))
            chunk = corpus[start : start + length]
            return tf.concat([bos, chunk[:-1]], 0), chunk

        ds = tf.data.Dataset.random(seed=self.seed, rerandomize_each_iteration=True)
        ds = ds.take(n_windows).map(window, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return ds.batch(self.batch_size).prefetch(tf.data.AUTOTUNE)

    def _dataset(self, x, y, shuffle: bool) -> tf.data.Dataset:
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        if shuffle:
            ds = ds.shuffle(len(x), seed=self.seed, reshuffle_each_iteration=True)
        return ds.batch(self.batch_size).prefetch(tf.data.AUTOTUNE)

    # ------------------------------------------------------------------ model
    def _build_model(self, vocab_size: int) -> keras.Model:
        model = build_char_lm(
            vocab_size,
            input_encoding=self.input_encoding,
            embedding_dim=self.embedding_dim,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            dropout=self.dropout,
        )
        self._compile(model)
        return model

    def _compile(self, model: keras.Model) -> None:
        model.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate, clipnorm=self.clipnorm),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=PAD_ID),
        )

    def _graph(self) -> CharLM:
        lm = getattr(self, "_lm", None)
        if lm is None or lm.model is not self.model_:  # rebuilt when the model is replaced
            self._lm = CharLM(self.model_, self.vocabulary_, self.mode)
        return self._lm

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        x,
        y=None,
        *,
        validation_data=None,
        epochs: int = 10,
        callbacks=None,
    ) -> CharGenerator:
        """Build the vocabulary and train the model.

        Args:
            x: Training text: a list of strings (items in 'lines' mode, documents in 'stream'
                mode); or UTF-8 text files, streamed: a path (`str` or `pathlib.Path`), a glob
                (`"books/*.txt"`) or a list of them (one item per line in 'lines' mode, each
                file one text in 'stream' mode); or a `tf.data.Dataset` of strings (batched or
                not; items or documents as for a list), also streamed. Streamed text is read
                once for the character set (capped by `max_chars`) and once per epoch through
                a bounded shuffle buffer (`shuffle_buffer`); lines are batched by length
                buckets, and 'stream' mode cuts fixed `seq_len` windows (`windows="random"`
                needs the whole text in memory: it applies to lists only).
            y: Unused (language models predict their own input); must be None.
            validation_data: Held-out text in the same forms (read into memory); enables
                early stopping.
            epochs: Maximum passes over the data.
            callbacks: Extra Keras callbacks.

        Returns:
            self.

        Raises:
            TypeError, ValueError: bad arguments or data.
            DataFormatError: a text file cannot be decoded (names file and line).
        """
        if y is not None:
            raise ValueError(
                "`y` must be None: a character language model learns to predict its own input. "
                f"Received: y of type {type(y).__name__}"
            )
        epochs = check_int("epochs", epochs, 1)
        trainer = Trainer.from_pipeline(self)
        trainer.strategy  # noqa: B018  (created before the model, as TensorFlow requires)
        stream = self._stream(x, "x", trainer.strategy)
        if stream is not None:
            return self._fit_stream(stream, validation_data, epochs, callbacks, trainer)
        texts = self._texts(x, "x")
        val_texts = (
            None if validation_data is None else self._texts(validation_data, "validation_data")
        )
        set_seed(self.seed)
        vocab = CharVocabulary.from_texts(texts, min_count=self.min_count, max_chars=self.max_chars)
        train_vocab = CharVocabulary(vocab.chars, unknown="replace")
        items = self._items(texts)
        if self.mode == "stream" and self.windows == "random":
            train = self._random_windows(texts, train_vocab)
        else:
            x_ids, y_ids = self._arrays(items, train_vocab)
            train = self._dataset(x_ids, y_ids, shuffle=True)
        val = None
        if val_texts is not None:
            vx, vy = self._arrays(self._items(val_texts), train_vocab)
            val = self._dataset(vx, vy, shuffle=False)
        self._lm = None
        self.vocabulary_ = CharVocabulary(vocab.chars, unknown=self.unknown)
        self.max_item_length_ = max(len(s) for s in items)
        with trainer.scope():
            model = self._build_model(vocab.size)
        start = time.perf_counter()
        self._fit_model(model, train, val, epochs, callbacks, trainer)
        metrics = {"train_seconds": round(time.perf_counter() - start, 2)}
        if val_texts is not None:
            for k, v in self._evaluate_items(self._items(val_texts)).items():
                metrics[f"val_{k}"] = v
        self.card_ = {
            "metrics": metrics,
            "data_hash": hash_strings(texts),
            "num_items": len(items),
            "num_chars": sum(len(s) for s in items),
            "vocabulary_size": vocab.size,
            "num_parameters": int(model.count_params()),
            "epochs_run": len(self.history_.get("loss", [])),
            "seed": self.seed,
        }
        return self

    # ------------------------------------------------------------------ streamed input
    def _windows_of(self, chunks) -> Any:
        """Stream mode: consecutive `seq_len` windows of the text that `chunks` concatenate
        (the same windows `_items` cuts from the whole text)."""
        rest = ""
        for chunk in chunks:
            rest += chunk
            cut = len(rest) - len(rest) % self.seq_len
            for i in range(0, cut, self.seq_len):
                yield rest[i : i + self.seq_len]
            rest = rest[cut:]
        if rest:
            yield rest

    def _file_items(self, path: str) -> Any:
        """The items of one text file, read lazily: lines, or `seq_len` windows."""
        if self.mode == "lines":
            yield from iter_lines(path)
            return
        chunks = (
            c.replace("\r\n", "\n").replace("\r", "\n")  # as read_text
            for c in iter_text_chunks(path)
        )
        yield from self._windows_of(chunks)

    def _stream(self, x, name: str, strategy=None):
        """For text files or a `tf.data.Dataset`: `(raw, encoded)`: `raw()` iterates the
        training items in Python (the vocabulary pass; a malformed file raises there, named
        with its line), `encoded(vocab)` returns the unbatched tf.data stream of `(input ids,
        target ids)` (this worker's share of the files under a multi-worker strategy). None for
        in-memory input."""
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            if not isinstance(spec, tf.TensorSpec) or spec.dtype != tf.string:
                raise ValueError(
                    f"`{name}` must be a tf.data.Dataset of strings, not of pairs: a character "
                    f"language model learns from text alone. Received elements with spec: {spec}"
                )
            ds = unbatched(x, 0)

            def raw():
                for value in ds.as_numpy_iterator():
                    text = value.decode("utf-8")
                    if self.mode == "lines":
                        if text:
                            yield text
                    else:
                        yield from self._windows_of([text])

            def encoded(vocab):
                return tf.data.Dataset.from_generator(
                    lambda: (self._framed(item, vocab) for item in raw()),
                    output_signature=_PAIR_SPEC,
                )

            return raw, encoded
        files = named_files(x, name)
        if files is None:
            return None

        def raw():
            for f in files:
                yield from self._file_items(f)

        shard = worker_shard(strategy)

        def encoded(vocab):
            def read(path):
                for item in self._file_items(path):
                    yield self._framed(item, vocab)

            return files_dataset(files, read, _PAIR_SPEC, shard=shard)

        return raw, encoded

    def _framed(self, item: str, vocab: CharVocabulary) -> tuple[np.ndarray, np.ndarray]:
        """One item -> `(input ids, target ids)` as `_arrays` frames it, unpadded."""
        ids = np.asarray(vocab.encode(item, add_bos=True, add_eos=self.mode == "lines"), np.int32)
        return ids[:-1], ids[1:]

    def _fit_stream(self, stream, validation_data, epochs, callbacks, trainer) -> CharGenerator:
        """`fit` on text files or a dataset: see `fit`."""
        import hashlib

        raw, encoded = stream
        # Length buckets vary the number of batches per epoch: the engine's own loop reads each
        # epoch to its end (Keras `fit` would truncate later epochs to the first one's count).
        trainer.loop = "custom"
        val_texts = (
            None if validation_data is None else self._texts(validation_data, "validation_data")
        )
        set_seed(self.seed)
        # One pass: the character counts (at most one entry per distinct character), sizes
        # and the data hash.
        stats = {"items": 0, "chars": 0, "longest": 0}
        digest = hashlib.sha256()

        def counted():
            for item in raw():
                stats["items"] += 1
                stats["chars"] += len(item)
                stats["longest"] = max(stats["longest"], len(item))
                digest.update(item.encode("utf-8") + b"\x00")  # as hash_strings(items)
                yield item

        vocab = CharVocabulary.from_texts(
            counted(), min_count=self.min_count, max_chars=self.max_chars
        )
        if not stats["items"] or (self.mode == "stream" and not stats["chars"]):
            raise ValueError("`x` has no non-empty items.")
        train_vocab = CharVocabulary(vocab.chars, unknown="replace")
        if self.mode == "lines":
            bounds = length_buckets(stats["longest"] + 1)
        else:
            bounds = []

        def train_data(epoch):
            ds = shuffled(encoded(train_vocab), self.shuffle_buffer, self.seed, epoch)
            if bounds:
                ds = ds.bucket_by_sequence_length(
                    lambda x, y: tf.shape(x)[0],
                    bucket_boundaries=bounds,
                    bucket_batch_sizes=[self.batch_size] * (len(bounds) + 1),
                    padding_values=(PAD_ID, PAD_ID),
                )
            else:
                ds = ds.padded_batch(self.batch_size, padding_values=(PAD_ID, PAD_ID))
            return ds.prefetch(tf.data.AUTOTUNE)

        val = None
        if val_texts is not None:
            vx, vy = self._arrays(self._items(val_texts), train_vocab)
            val = self._dataset(vx, vy, shuffle=False)
        self._lm = None
        self.vocabulary_ = CharVocabulary(vocab.chars, unknown=self.unknown)
        self.max_item_length_ = stats["longest"]
        with trainer.scope():
            model = self._build_model(vocab.size)
        start = time.perf_counter()
        self._fit_model(model, train_data, val, epochs, callbacks, trainer)
        metrics = {"train_seconds": round(time.perf_counter() - start, 2)}
        if val_texts is not None:
            for k, v in self._evaluate_items(self._items(val_texts)).items():
                metrics[f"val_{k}"] = v
        self.card_ = {
            "metrics": metrics,
            "data_hash": digest.hexdigest()[:16],
            "train_data": "streamed",
            "num_items": stats["items"],
            "num_chars": stats["chars"],
            "vocabulary_size": vocab.size,
            "num_parameters": int(model.count_params()),
            "epochs_run": len(self.history_.get("loss", [])),
            "seed": self.seed,
        }
        return self

    # ------------------------------------------------------------------ scoring
    def score(self, texts) -> np.ndarray:
        """Log-likelihood (nats) of each item, end marker included in 'lines' mode.

        Args:
            texts: A list of strings (or Dataset / Path, as in `fit`).

        Returns:
            `(len(texts),)` float array of `log p(text)` (empty for an empty list).
        """
        self._check_fitted("score")
        if isinstance(texts, (list, tuple)) and not texts:  # an empty batch, an empty result
            return np.zeros(0, np.float64)
        ll, _ = self._score(self._texts(texts, "texts") if not isinstance(texts, list) else texts)
        return ll

    def _score(self, items: list[str]) -> tuple[np.ndarray, np.ndarray]:
        items = check_texts("texts", items)
        if self.unknown == "error":
            for i, s in enumerate(items):
                missing = self.vocabulary_.unknown_chars(s)
                if missing:
                    raise ValueError(
                        f"Text {i} contains characters outside the vocabulary: {missing!r:.200} "
                        "(unknown='error'). Remove them or use unknown='replace' or 'skip'."
                    )
        lm = self._graph()
        lls, counts = [], []
        for i in range(0, len(items), self.batch_size):
            out = lm.score(tf.constant(items[i : i + self.batch_size]))
            lls.append(out["log_likelihood"].numpy())
            counts.append(out["num_chars"].numpy())
        return np.concatenate(lls).astype(np.float64), np.concatenate(counts)

    def _evaluate_items(self, items: list[str]) -> dict[str, float]:
        ll, counts = self._score(items)
        m = lm_metrics(-float(ll.sum()), int(counts.sum()))
        return {
            "nats_per_char": m["nll"],
            "bits_per_char": m["bits_per_unit"],
            "perplexity": m["perplexity"],
            "num_chars": float(counts.sum()),
        }

    def evaluate(self, x, y=None) -> dict[str, float]:
        """Cross-entropy of held-out text.

        Every character is predicted once from the characters before it (within its item in
        'lines' mode, within its `seq_len` window in 'stream' mode); in 'lines' mode the end
        marker counts as one character, like the newline of a text file.

        Args:
            x: Text in the forms `fit` accepts.
            y: Unused; must be None.

        Returns:
            `{"nats_per_char", "bits_per_char", "perplexity", "num_chars"}`.
        """
        self._check_fitted("evaluate")
        if y is not None:
            raise ValueError("`y` must be None for a language model.")
        return self._evaluate_items(self._items(self._texts(x, "x")))

    # ------------------------------------------------------------------ generation
    def generate(
        self,
        prompt: str = "",
        n: int = 1,
        max_length: int | None = None,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        *,
        method: str = "sample",
        beam_width: int = 5,
        return_log_probs: bool = False,
    ) -> list[str] | list[tuple[str, list[float]]]:
        """Generate `n` texts that start with `prompt`.

        Args:
            prompt: Text to continue; "" starts a new item ('lines') or window ('stream').
                Characters outside the vocabulary follow the `unknown` policy; the returned
                texts start with the prompt exactly as given.
            n: How many texts to return.
            max_length: Most characters to add. Default: 2x the longest training item in
                'lines' mode (generation stops earlier at the end marker), 200 in 'stream' mode.
            temperature: Softmax temperature; 0 means greedy.
            top_k: Sample only among the k most probable characters (None: all).
            top_p: Sample only from the smallest set of characters with probability >= top_p.
            seed: Same seed, same texts (also through the exported SavedModel). None draws one
                from NumPy's global generator.
            method: 'sample', 'greedy' (argmax; same as temperature 0) or 'beam'
                ('lines' mode only: the `n` most probable complete items of a beam search of
                width `beam_width`; `temperature`, `top_k`, `top_p` and `seed` are ignored).
            beam_width: Beams kept by beam search (>= n).
            return_log_probs: Also return, for each text, the model's log-probability (natural
                log) of each generated character, given the prompt and the characters before
                it: one float per generated character, plus one for the end marker in 'lines'
                mode when the item ended. The model's distribution: before temperature and
                top-k/top-p filtering, with the ids that are never generated left out. Their
                sum is the text's log-likelihood given the prompt. For `method='beam'` they
                are computed by teacher forcing over the returned texts.

        Returns:
            A list of `n` strings, each the prompt followed by the generated characters; with
            `return_log_probs=True`, a list of `(text, log_probs)` pairs.

        Raises:
            NotFittedError: called before `fit`.
            ValueError, TypeError: bad arguments, or unknown characters with unknown='error'.
        """
        self._check_fitted("generate")
        if not isinstance(prompt, str):
            raise TypeError(f"`prompt` must be a string. Received: prompt={prompt!r:.60}")
        check_texts("prompt", [prompt])  # a lone surrogate is named, not a tensor error
        n = check_int("n", n, 1)
        if max_length is None:
            max_length = 2 * self.max_item_length_ if self.mode == "lines" else 200
        max_length = check_int("max_length", max_length, 1)
        temperature = check_float("temperature", temperature, 0.0)
        top_k = check_int("top_k", top_k, 0, allow_none=True) or 0
        top_p = check_float("top_p", top_p, 0.0, 1.0, low_inclusive=False, allow_none=True)
        top_p = 1.0 if top_p is None else top_p
        seed = check_seed("seed", seed, maximum=MAX_GENERATION_SEED)
        method = check_choice("method", method, METHODS)
        beam_width = check_int("beam_width", beam_width, 1, maximum=MAX_BEAM_WIDTH)
        return_log_probs = check_bool("return_log_probs", return_log_probs)
        self.vocabulary_.encode(prompt)  # raises for unknown='error'
        if method == "beam":
            if self.mode != "lines":
                raise ValueError(
                    "`method='beam'` needs mode='lines' (whole items with an end marker). "
                    f"Received: mode={self.mode!r}"
                )
            if beam_width < n:
                raise ValueError(
                    f"`beam_width` must be >= n. Received: beam_width={beam_width}, n={n}"
                )
            out = self._graph().beam_search(
                tf.constant([prompt]), tf.constant(max_length, tf.int32), tf.constant(beam_width)
            )
            # a beam wider than the items the model can write holds placeholders (log p ~ -1e9)
            real = out["log_likelihood"].numpy()[0, :n] > _NEG / 2
            texts = out["text"].numpy()[0, :n]
            found = [s.decode("utf-8") for s, ok in zip(texts, real, strict=True) if ok]
            if not return_log_probs:
                return found
            return list(zip(found, self._continuation_log_probs(prompt, found), strict=True))
        if method == "greedy":
            temperature = 0.0
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        args = (
            tf.constant([prompt] * n),
            tf.constant(max_length, tf.int32),
            tf.constant(temperature, tf.float32),
            tf.constant(seed % (2**31 - 1), tf.int32),
        )
        lm = self._graph()
        if return_log_probs:  # the exported `generate_scored` signature
            out = lm.generate_scored(
                *args, tf.constant(top_k, tf.int32), tf.constant(top_p, tf.float32)
            )
        elif top_k == 0 and top_p == 1.0:  # the exported `generate` signature
            out = lm.generate(*args)
        else:  # the exported `generate_filtered` signature
            out = lm.generate_filtered(
                *args, tf.constant(top_k, tf.int32), tf.constant(top_p, tf.float32)
            )
        texts = [s.decode("utf-8") for s in out["text"].numpy()]
        if not return_log_probs:
            return texts
        logp = out["token_log_probs"].numpy()
        ended = self.mode == "lines"
        pairs = []
        for text, row in zip(texts, logp, strict=True):
            k = len(text) - len(prompt) + (1 if ended else 0)
            k = min(k, max_length)  # an item cut at max_length has no end marker
            pairs.append((text, [float(v) for v in row[:k]]))
        return pairs

    def _continuation_log_probs(self, prompt: str, texts: list[str]) -> list[list[float]]:
        """Teacher-forced log p of each character after `prompt` in `texts` (and of the end
        marker in 'lines' mode), with the never-generated ids left out of the softmax, as
        the decoders score them."""
        out = self._graph().token_log_probs(tf.constant(texts))["token_log_probs"].numpy()
        first = len(self.vocabulary_.encode(prompt))  # characters of the prompt
        rows = []
        for text, row in zip(texts, out, strict=True):
            n = len(self.vocabulary_.encode(text)) + (1 if self.mode == "lines" else 0)
            rows.append([float(v) for v in row[first:n]])
        return rows

    def predict(self, x) -> list[str]:
        """Greedy completion of each prompt, in one batch (as `generate(p, method="greedy")`).

        Args:
            x: A list of prompt strings.

        Returns:
            One completed string per prompt (prompt + generated characters).

        Raises:
            NotFittedError: called before `fit`.
            TypeError: `x` is a single string or not a list of strings.
        """
        self._check_fitted("predict")
        if isinstance(x, str):
            raise TypeError("`x` must be a list of prompt strings; wrap a single prompt in a list.")
        prompts = check_texts("x", x, allow_empty=True)
        if not prompts:
            return []
        for p in prompts:
            self.vocabulary_.encode(p)  # raises for unknown='error'
        max_length = 2 * self.max_item_length_ if self.mode == "lines" else 200
        out = self._graph().generate(
            tf.constant(prompts),
            tf.constant(max_length, tf.int32),
            tf.constant(0.0, tf.float32),
            tf.constant(0, tf.int32),
        )
        return [s.decode("utf-8") for s in out["text"].numpy()]

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> None:
        # Files: model.keras; vocabulary.txt (the reserved tokens, then the characters, one a
        # line in id order, see `write_vocabulary`); state.json.
        self.model_.save(directory / _MODEL_FILE)
        write_vocabulary(directory / _VOCAB_FILE, self.vocabulary_.tokens)
        write_json(
            directory / _STATE_FILE,
            {"max_item_length": self.max_item_length_, "history": getattr(self, "history_", {})},
        )

    def _load_state(self, directory: Path) -> None:
        self.model_ = load_keras_model(directory / _MODEL_FILE, compile=False)
        self._compile(self.model_)
        # The configuration's policy wins, so a saved model can be reloaded with another one.
        if (directory / _VOCAB_FILE).is_file() or not (directory / _OLD_VOCAB_FILE).is_file():
            tokens = read_vocabulary(directory / _VOCAB_FILE)
            if tuple(tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
                raise IntegrityError(
                    f"{directory / _VOCAB_FILE} must start with the reserved tokens "
                    f"{list(SPECIAL_TOKENS)}. Received: {tokens[: len(SPECIAL_TOKENS)]}"
                )
            chars = tokens[len(SPECIAL_TOKENS) :]
        else:  # nlpkit 0.1 wrote vocabulary.json
            chars = CharVocabulary.load(directory / _OLD_VOCAB_FILE).chars
        self.vocabulary_ = CharVocabulary(chars, unknown=self.unknown)
        state = read_json(directory / _STATE_FILE)
        self.max_item_length_ = int(state["max_item_length"])
        self.history_ = state.get("history", {})
        self._lm = None

    def _check_structure(self, directory: Path) -> None:
        units = self.model_.get_layer("logits").units
        name = _VOCAB_FILE if (directory / _VOCAB_FILE).is_file() else _OLD_VOCAB_FILE
        check_rows(directory, name, self.vocabulary_.size, units, "output units")

    def _default_max_length(self) -> int:
        return 2 * self.max_item_length_ if self.mode == "lines" else 200

    def _export(self, directory: Path) -> None:
        """SavedModel signatures: `serving_default` (prompts -> greedy completions, as
        `predict`), `generate`, `generate_filtered`, `score` and, in 'lines' mode,
        `beam_search` (see `nlpkit.models.char_lm.CharLM`). Arguments are checked in the graph as in Python:
        `max_length >= 1`, `temperature` finite and >= 0, `seed >= 0`, `top_k >= 0`, `top_p`
        in (0, 1], `1 <= beam_width <= 1024`; a bad value raises InvalidArgumentError naming it. `assets.extra/` holds the vocabulary and the configuration."""
        lm = self._graph()
        default_length = self._default_max_length()

        @tf.function(
            input_signature=[tf.TensorSpec([None], tf.string, name="prompts")], autograph=False
        )
        def chargen_serving_default(prompts):
            return with_spare_row(
                lambda p: lm.generate(
                    p, tf.constant(default_length), tf.constant(0.0), tf.constant(0)
                ),
                prompts,
            )

        @tf.function(input_signature=lm.generate.input_signature, autograph=False)
        def chargen_generate(prompts, max_length, temperature, seed):
            with tf.control_dependencies(generation_checks(max_length, temperature, seed)):
                prompts, max_length, temperature, seed = after_checks(
                    prompts, max_length, temperature, seed
                )
            return with_spare_row(lambda p: lm.generate(p, max_length, temperature, seed), prompts)

        @tf.function(input_signature=lm.generate_filtered.input_signature, autograph=False)
        def chargen_generate_filtered(prompts, max_length, temperature, seed, top_k, top_p):
            checks = generation_checks(max_length, temperature, seed, top_k, top_p)
            with tf.control_dependencies(checks):
                prompts, max_length, temperature, seed, top_k, top_p = after_checks(
                    prompts, max_length, temperature, seed, top_k, top_p
                )
            return with_spare_row(
                lambda p: lm.generate_filtered(p, max_length, temperature, seed, top_k, top_p),
                prompts,
            )

        @tf.function(input_signature=lm.generate_scored.input_signature, autograph=False)
        def chargen_generate_scored(prompts, max_length, temperature, seed, top_k, top_p):
            checks = generation_checks(max_length, temperature, seed, top_k, top_p)
            with tf.control_dependencies(checks):
                prompts, max_length, temperature, seed, top_k, top_p = after_checks(
                    prompts, max_length, temperature, seed, top_k, top_p
                )
            return with_spare_row(
                lambda p: lm.generate_scored(p, max_length, temperature, seed, top_k, top_p),
                prompts,
            )

        @tf.function(input_signature=lm.score.input_signature, autograph=False)
        def chargen_score(texts):
            return with_spare_row(lm.score, texts)

        signatures = {
            "serving_default": chargen_serving_default,
            "generate": chargen_generate,
            "generate_filtered": chargen_generate_filtered,
            "score": chargen_score,
            "generate_scored": chargen_generate_scored,
        }
        if self.mode == "lines":  # whole items that end: beam search applies

            @tf.function(input_signature=lm.beam_search.input_signature, autograph=False)
            def chargen_beam_search(prompts, max_length, beam_width):
                checks = [
                    tf.debugging.assert_greater_equal(
                        max_length, 1, message="`max_length` must be >= 1"
                    ),
                    tf.debugging.assert_greater_equal(
                        beam_width, 1, message="`beam_width` must be >= 1"
                    ),
                    tf.debugging.assert_less_equal(
                        beam_width,
                        MAX_BEAM_WIDTH,
                        message=f"`beam_width` must be <= {MAX_BEAM_WIDTH}",
                    ),
                ]
                with tf.control_dependencies(checks):
                    prompts, max_length, beam_width = after_checks(prompts, max_length, beam_width)
                return lm.beam_search(prompts, max_length, beam_width)

            signatures["beam_search"] = chargen_beam_search
        tf.saved_model.save(lm, str(directory), signatures=signatures)
        extra = directory / "assets.extra"
        extra.mkdir(exist_ok=True)
        write_vocabulary(extra / _VOCAB_FILE, self.vocabulary_.tokens)
        write_json(extra / "config.json", {"class": "CharGenerator", "config": self.get_config()})


_PAIR_SPEC = (tf.TensorSpec((None,), tf.int32), tf.TensorSpec((None,), tf.int32))


# ---------------------------------------------------------------------------------------------
# Recipes: moved to `nlpkit.recipes.chargen`; this name keeps working.
# ---------------------------------------------------------------------------------------------
def run_recipe(recipe: dict, recipe_path: Path | None = None) -> dict:
    """Moved to `nlpkit.recipes.chargen.run_recipe`; this name keeps working."""
    from nlpkit.recipes.chargen import run_recipe as run

    return run(recipe, recipe_path)
