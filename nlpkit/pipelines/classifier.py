"""Text classification: raw text in, labels and probabilities out.

`TextClassifier` vectorises inside the model (Keras `TextVectorization`), encodes with a
recurrent stack (RNN, GRU or LSTM; stacked; optionally bidirectional) over trained or pretrained
word embeddings, and exports a SavedModel that serves raw `tf.string` input.

The network lives in `nlpkit.models.text_classifier`; this module holds the pipeline.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nlpkit.data.classification import file_kind, texts_and_labels
from nlpkit.data.streaming import (
    DEFAULT_SHUFFLE_BUFFER,
    CappedCounter,
    file_source,
    files_dataset,
    length_buckets,
    shuffled,
    unbatched,
    worker_shard,
)
from nlpkit.data.tfdata import dataset_to_lists
from nlpkit.embeddings.oov import add_pretrained_words
from nlpkit.errors import IntegrityError
from nlpkit.layers.recurrent_stack import CELLS
from nlpkit.metrics.classification import classification_report
from nlpkit.models.text_classifier import build_text_classifier
from nlpkit.pipelines.base import LAYOUT, Pipeline, check_rows
from nlpkit.training import Trainer, check_training_settings, set_seed
from nlpkit.training.epochs import auto_epochs
from nlpkit.utils.files import (
    hash_strings,
    load_keras_model,
    read_json,
    read_vocabulary,
    write_json,
    write_vocabulary,
)
from nlpkit.utils.inference import cached_function, length_sorted_batches
from nlpkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_seed,
    check_texts,
)

__all__ = ["TextClassifier", "SentimentClassifier", "auto_epochs", "run_recipe"]

logger = logging.getLogger("nlpkit")

STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation", None)
ENCODERS = ("recurrent", "mean")


class TextClassifier(Pipeline):
    """Text classifier (binary or multi-class) that serves raw text.

    Args:
        encoder: How a text becomes one vector: 'recurrent' (a `RecurrentStack` of `cell`
            layers; its last unmasked step) or 'mean' (the average of the vectors of the known
            words, `[UNK]` and padding left out; Iyyer et al. 2015). 'mean' ignores `cell`,
            `bidirectional`, `num_layers` and `hidden_size`; with frozen pretrained vectors it
            is the strong baseline for datasets of a few hundred examples.
        cell: Recurrent cell: 'rnn', 'gru' or 'lstm'.
        bidirectional: Read the text in both directions.
        num_layers: Stacked recurrent layers.
        hidden_size: Units per direction and layer.
        dropout: Dropout between layers and before the output layer.
        embedding_dim: Size of trained word embeddings (ignored when `embeddings` is given).
        embeddings: Pretrained vectors: a GloVe/word2vec/fastText file path, a gensim
            `KeyedVectors`, or a preset name such as 'glove-6B-50d' (see `nlpkit.embeddings`).
        trainable_embeddings: Fine-tune pretrained vectors (trained embeddings always train).
        embedding_learning_rate: With `trainable_embeddings=True`, the learning rate of the
            fine-tuned pretrained vectors (the rest of the network uses `learning_rate`); a
            smaller rate keeps them near their pretrained values. None (default):
            `learning_rate`. Measured on 3,000 short IMDB texts (benchmarks/RESULTS.md, section
            `finetune`), the default's early stopping on validation loss (best weights
            restored) already stops fine-tuning where it starts to overfit, and a tenth of the
            learning rate scored lower at the same epoch cap. Implemented by
            `PartlyTrainableEmbedding`'s `learning_rate_multiplier` (exact for Adam).
        pretrained_words: With `embeddings`, how many of the most frequent pretrained words are
            added to the vocabulary learned from the training texts, so that words never seen
            in training still get their pretrained vector at prediction time (on small data most
            test words are unseen: for Emojify, a 106-sentence fold leaves about a third of the
            held-out words out of the training vocabulary). None adds every pretrained word
            (400,000 for GloVe 6B: an 80 MB table); 0 adds none. The default, 50,000 (a 10 MB
            table for 50-d vectors), was worth about 14 points of held-out accuracy on Emojify
            (benchmarks/RESULTS.md). Fine-tuning then trains only the rows of the training
            words.
        max_length: Tokens kept per text (the first `max_length`).
        max_tokens: Vocabulary size, including padding and the out-of-vocabulary token.
        standardize: Text standardisation before whitespace splitting:
            'lower_and_strip_punctuation', 'lower', 'strip_punctuation' or None.
        batch_size: Training and inference batch size.
        learning_rate: Adam learning rate.
        early_stopping: Patience in epochs on validation loss (best weights restored); None
            disables it. Only used when validation data is given.
        seed: Seed for weights, shuffling and dropout; a CPU run with a seed repeats exactly.
        verbose: Keras verbosity for training ('auto' shows a progress bar).
        shuffle_buffer: Examples held by the shuffle buffer when `fit` streams files or a
            `tf.data.Dataset` (in-memory lists are shuffled whole).
        distribution: None (one device, Keras `fit`), 'mirrored' (all local devices),
            'multi_worker' (`MultiWorkerMirroredStrategy` from `TF_CONFIG`) or a
            `tf.distribute.Strategy`; stored as None in `get_config` when it is an instance.
            See docs/training.md.
        checkpoint_dir: Folder for resumable checkpoints: calling `fit` again with the same
            arguments after a kill resumes where the last checkpoint left off.
        checkpoint_every: Steps between checkpoints (one is also written at each epoch end).
        max_minutes: Training time budget; training ends cleanly, best weights kept.
        max_steps: Optimizer step budget; training ends cleanly, best weights kept.
        log_dir: TensorBoard folder (loss, metrics, learning rate, examples/s).

    Example:
        >>> clf = TextClassifier(cell="gru", hidden_size=16, seed=0, verbose=0)
        >>> clf = clf.fit(["good film", "bad film", "great", "awful"], ["pos", "neg", "pos", "neg"],
        ...               epochs=2)
        >>> len(clf.predict(["good"]))
        1
    """

    export_name = "classifier"
    _binary_only = False

    def __init__(
        self,
        *,
        encoder: str = "recurrent",
        cell: str = "lstm",
        bidirectional: bool = True,
        num_layers: int = 1,
        hidden_size: int = 64,
        dropout: float = 0.2,
        embedding_dim: int = 100,
        embeddings: Any = None,
        trainable_embeddings: bool = False,
        embedding_learning_rate: float | None = None,
        pretrained_words: int | None = 50_000,
        max_length: int = 200,
        max_tokens: int = 20000,
        standardize: str | None = "lower_and_strip_punctuation",
        batch_size: int = 32,
        learning_rate: float = 1e-3,
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
        self.encoder = check_choice("encoder", encoder, ENCODERS)
        self.cell = check_choice("cell", cell, CELLS)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        self.num_layers = check_int("num_layers", num_layers, 1)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        self.dropout = check_float("dropout", dropout, 0.0, 1.0, high_inclusive=False)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, 1)
        if (
            embeddings is not None
            and not isinstance(embeddings, (str, os.PathLike))
            and not hasattr(embeddings, "vector_size")
        ):
            raise TypeError(
                "`embeddings` must be None, a file path, a preset name or a gensim KeyedVectors. "
                f"Received: {type(embeddings).__name__}"
            )
        self.embeddings = embeddings
        self.trainable_embeddings = check_bool("trainable_embeddings", trainable_embeddings)
        self.embedding_learning_rate = check_float(
            "embedding_learning_rate",
            embedding_learning_rate,
            0.0,
            low_inclusive=False,
            allow_none=True,
        )
        self.pretrained_words = check_int("pretrained_words", pretrained_words, 0, allow_none=True)
        self.max_length = check_int("max_length", max_length, 1)
        self.max_tokens = check_int("max_tokens", max_tokens, 3)
        self.standardize = check_choice("standardize", standardize, STANDARDIZE)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, low_inclusive=False)
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

    # ------------------------------------------------------------------ building blocks
    def _make_vectorizer(self, vocabulary=None) -> keras.layers.TextVectorization:
        # A given vocabulary is already final (it may hold pretrained words beyond max_tokens).
        return keras.layers.TextVectorization(
            max_tokens=self.max_tokens if vocabulary is None else None,
            standardize=self.standardize,
            split="whitespace",
            output_mode="int",
            vocabulary=vocabulary,
            name="vectorizer",
        )

    def _vectorize(self, texts: tf.Tensor, vectorizer=None) -> tf.Tensor:
        """Raw strings `(batch,)` -> token ids `(batch, <= max_length)`, at least one column."""
        ids = (vectorizer or self.vectorizer_)(texts)[:, : self.max_length]
        return tf.pad(ids, [[0, 0], [0, tf.maximum(0, 1 - tf.shape(ids)[1])]])

    def _build_model(
        self, vocab_size: int, matrix: np.ndarray | None, trained_rows: int | None = None
    ) -> keras.Model:
        model = build_text_classifier(
            vocab_size,
            len(self.classes_),
            matrix=matrix,
            trained_rows=trained_rows,
            embedding_dim=self.embedding_dim,
            trainable_embeddings=self.trainable_embeddings,
            embedding_learning_rate_multiplier=(
                (self.embedding_learning_rate or self.learning_rate) / self.learning_rate
            ),
            encoder=self.encoder,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def _dataset(
        self, texts, label_ids=None, *, shuffle=False, vectorizer=None, epoch: int | None = None
    ) -> tf.data.Dataset:
        """Batches of token ids (and label ids). With `shuffle`, `epoch=None` gives a dataset
        that reshuffles on each iteration (Keras `fit`); an epoch number gives that epoch's
        order only (the engine's loop, which can then resume mid-epoch)."""
        items = (texts,) if label_ids is None else (texts, np.asarray(label_ids, "int32"))
        ds = tf.data.Dataset.from_tensor_slices(items)
        if shuffle:
            if epoch is None:
                ds = ds.shuffle(len(texts), seed=self.seed, reshuffle_each_iteration=True)
            else:
                seed = None if self.seed is None else self.seed * 1_000_003 + epoch
                ds = ds.shuffle(len(texts), seed=seed, reshuffle_each_iteration=False)
        ds = ds.batch(self.batch_size)
        if label_ids is None:
            ds = ds.map(lambda t: self._vectorize(t, vectorizer))
        else:
            ds = ds.map(lambda t, y: (self._vectorize(t, vectorizer), y))
        return ds.prefetch(tf.data.AUTOTUNE)

    # ------------------------------------------------------------------ streamed input
    def _stream(self, x, y, name: str, strategy=None):
        """For files or a `tf.data.Dataset`: a function `(sharded=True) -> ` unbatched dataset
        of `(text, label as a string)` (this worker's share of the files when sharded) and the
        label kind ('int' for integer labels, 'auto' to
        decide from the values). None for in-memory input."""
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError(
                    f"When `{name}` is a tf.data.Dataset of (text, label) pairs, `y` must be None."
                )
            spec = x.element_spec
            if not (isinstance(spec, tuple) and len(spec) == 2):
                raise ValueError(
                    f"`{name}` is a dataset of texts only; labels are needed: yield (text, label) "
                    f"pairs. Received elements with spec: {spec}"
                )
            if spec[0].dtype != tf.string:
                raise TypeError(
                    f"`{name}` must yield texts as tf.string. Received dtype {spec[0].dtype.name}"
                )
            integer = spec[1].dtype.is_integer
            if not (integer or spec[1].dtype == tf.string):
                raise TypeError(
                    f"`{name}` must yield labels as strings or integers. "
                    f"Received dtype {spec[1].dtype.name}"
                )
            ds = unbatched(x, 0)
            if integer:
                ds = ds.map(lambda t, lab: (t, tf.strings.as_string(lab)))
            return (lambda sharded=True: ds), ("int" if integer else "str")
        if y is not None and isinstance(x, str):
            return None  # a single text with labels: the in-memory checks say what is wrong
        files = file_source(x, name, str_lists=y is None)
        if files is None:
            return None
        if y is not None:
            raise ValueError(
                f"When `{name}` names data files, `y` must be None (labels come from the files)."
            )
        for f in files:
            kind = file_kind(f)
            if kind is None:
                raise ValueError(
                    f"`{name}`: cannot tell the format of {f!r}: expected a .csv, .tsv or .jsonl "
                    "file (optionally .gz). For other formats pass a tf.data.Dataset of "
                    "(text, label) pairs."
                )

        def read(path: str):
            from nlpkit.data.classification import iter_csv, iter_jsonl

            rows = iter_jsonl(path) if file_kind(path) == "jsonl" else iter_csv(path)
            for text, label in rows:
                yield text, str(label)

        sig = (tf.TensorSpec((), tf.string), tf.TensorSpec((), tf.string))
        shard = worker_shard(strategy)
        # Sharded for training; the vocabulary pass reads every file (`sharded=False`), so that
        # all workers build the same vocabulary and label set.
        return (
            lambda sharded=True: files_dataset(files, read, sig, shard=shard if sharded else None)
        ), "auto"

    def _vocabulary_pass(self, make_ds, label_kind: str, vectorizer):
        """One streaming pass: token counts (capped), the label set, the example count and the
        data hash. Returns `(vocabulary tokens, classes, label keys, count, hash)`."""
        import hashlib

        counter = CappedCounter(max(20 * (self.max_tokens or 0), 1_000_000))
        keys: set[bytes] = set()
        count = 0
        digest = hashlib.sha256()
        ds = make_ds(sharded=False).batch(1024)
        ds = ds.map(lambda t, lab: (t, vectorizer._preprocess(t), lab)).prefetch(2)
        for texts, tokens, labels in ds:
            flat = tokens.flat_values.numpy()
            if flat.size:
                uniq, counts = np.unique(flat, return_counts=True)
                counter.add_counts(uniq.tolist(), counts.tolist())
            labs = labels.numpy().tolist()
            keys.update(labs)
            for t, lab in zip(texts.numpy().tolist(), labs, strict=True):
                digest.update(t + b"\t" + lab + b"\x00")  # as hash_strings(f"{t}\t{lab}")
            count += len(labs)
        if count == 0:
            raise ValueError("`x` has no examples to learn from.")
        texts_keys = [k.decode("utf-8") for k in keys]
        if label_kind == "int" or (
            label_kind == "auto" and all(k.strip().lstrip("-").isdigit() for k in texts_keys)
        ):
            classes = sorted({int(k) for k in texts_keys})
        else:
            classes = sorted(texts_keys)
        # TextVectorization.adapt's order: count descending, ties by token descending.
        items = [(k, c) for k, c in counter.items() if k not in (b"", b"[UNK]")]
        items.sort(key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens:
            items = items[: max(0, self.max_tokens - 2)]
        tokens = [k.decode("utf-8") for k, _ in items]
        return tokens, classes, texts_keys, count, digest.hexdigest()[:16]

    def _label_table(self, keys: list[str]) -> tf.lookup.StaticHashTable:
        """Label strings as read -> class index (-1 for a label never seen in fit)."""
        index = {c: i for i, c in enumerate(self.classes_)}
        ints = isinstance(self.classes_[0], int)
        known = [k for k in keys if (int(k) if ints else k) in index]
        values = [index[int(k) if ints else k] for k in known]
        init = tf.lookup.KeyValueTensorInitializer(
            tf.constant(known, tf.string), tf.constant(values, tf.int32)
        )
        return tf.lookup.StaticHashTable(init, default_value=-1)

    def _stream_batches(self, ds, table, vectorizer, name: str) -> tf.data.Dataset:
        """`(text, label)` examples -> length-bucketed batches of `(token ids, label id)`."""

        def encode(text, label):
            ids = self._vectorize(tf.reshape(text, [1]), vectorizer)[0]
            label_id = table.lookup(label)
            tf.debugging.assert_non_negative(
                label_id, message=f"`{name}` contains a label never seen in fit"
            )
            return ids, label_id

        ds = ds.map(encode, num_parallel_calls=tf.data.AUTOTUNE)
        bounds = length_buckets(self.max_length)
        ds = ds.bucket_by_sequence_length(
            lambda ids, _: tf.shape(ids)[0],
            bucket_boundaries=bounds,
            bucket_batch_sizes=[self.batch_size] * (len(bounds) + 1),
        )
        return ds.prefetch(tf.data.AUTOTUNE)

    def _fit_stream(self, stream, validation_data, epochs, callbacks, trainer) -> TextClassifier:
        """`fit` on files or a dataset: see `fit`."""
        make_train, label_kind = stream
        # Length buckets make the number of batches vary from epoch to epoch, which Keras `fit`
        # does not allow (it truncates later epochs to the first one's count): the engine's
        # own loop, which reads each epoch to its end, trains on streams.
        trainer.loop = "custom"
        val_stream = None
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, tuple):
                val_stream = self._stream(
                    validation_data, None, "validation_data", trainer.strategy
                )
            if val_stream is None:
                if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                    raise ValueError(
                        "`validation_data` must be (texts, labels), data files or a "
                        f"tf.data.Dataset. Received: {type(validation_data).__name__}"
                    )
                val = texts_and_labels(*validation_data, "validation_data[0]", "validation_data[1]")
        vectors = None
        if self.embeddings is not None:
            from nlpkit import embeddings as nlpkit_embeddings

            vectors = nlpkit_embeddings.load(self.embeddings)
        set_seed(self.seed)
        probe = self._make_vectorizer()
        tokens, classes, keys, count, data_hash = self._vocabulary_pass(
            make_train, label_kind, probe
        )
        if len(classes) < 2:
            raise ValueError(f"`y` must contain at least two classes. Received only: {classes}")
        if self._binary_only and len(classes) != 2:
            raise ValueError(
                f"{type(self).__name__} is binary: `y` must have exactly two classes. "
                f"Received {len(classes)}: {classes[:10]}. Use TextClassifier for more."
            )
        if not tokens:
            raise ValueError("`x` has no tokens to build a vocabulary from (all texts empty).")
        previous = getattr(self, "classes_", None)
        self.classes_ = classes
        try:
            vectorizer = self._make_vectorizer(vocabulary=tokens)
            vocabulary = [str(v) for v in vectorizer.get_vocabulary()]
            table = self._label_table(keys)
            matrix, oov = None, None
            if vectors is not None:
                matrix, oov = nlpkit_embeddings.embedding_matrix(
                    vocabulary, vectors, seed=self.seed or 0
                )
                logger.info("Embedding coverage: %s", oov)
            with trainer.scope():
                model = self._build_model(len(vocabulary), matrix)

            def train_data(epoch):
                ds = shuffled(make_train(), self.shuffle_buffer, self.seed, epoch)
                return self._stream_batches(ds, table, vectorizer, "x")

            val_ds = None
            if val is not None:
                val_ids = self._label_ids(val[1], "validation_data labels")
                val_ds = self._dataset(val[0], val_ids, vectorizer=vectorizer)
            elif val_stream is not None:
                make_val, _ = val_stream  # its labels are checked in the graph
                val_table = self._label_table(
                    [str(c) for c in classes] if isinstance(classes[0], int) else classes
                )
                val_ds = self._stream_batches(make_val(), val_table, vectorizer, "validation_data")
            history = trainer.fit(
                model,
                train_data,
                validation=val_ds,
                epochs=epochs,
                callbacks=callbacks,
                monitor="val_loss" if self.early_stopping else None,
                patience=self.early_stopping,
                batch_size=self.batch_size,
            )
        except BaseException:
            self.classes_ = previous
            raise
        self.vectorizer_ = vectorizer
        self.vocabulary_ = vocabulary
        self.model_ = model
        self.history_ = history.history
        self.training_ = history
        self.oov_report_ = oov
        self.card_ = {
            "task": "text classification",
            "train_examples": count,
            "train_data_hash": data_hash,
            "train_data": "streamed",
            "classes": [str(c) for c in classes],
            "epochs_run": history.epochs_run,
            "stop_reason": history.stop_reason,
            "vocabulary_size": len(vocabulary),
            "seed": self.seed,
        }
        if oov is not None:
            self.card_["embedding_coverage"] = oov.to_dict()
        return self

    def _label_ids(self, labels: list, name: str) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes_)}
        unseen = sorted({repr(v) for v in labels if v not in index})
        if unseen:
            raise ValueError(
                f"`{name}` contains label(s) never seen in fit: {', '.join(unseen[:10])}. "
                f"Known labels: {list(self.classes_)}"
            )
        return np.array([index[v] for v in labels], dtype="int32")

    # ------------------------------------------------------------------ verbs
    def fit(
        self, x, y=None, *, validation_data=None, epochs: int | None = None, callbacks=None
    ) -> TextClassifier:
        """Fit the vocabulary, the label map and the network.

        Args:
            x: Texts (list of str / NumPy array); or data files, streamed: a path, a glob
                (`"train-*.csv"`) or a list of them, CSV/TSV with a header holding `text` and
                `label` columns or JSON lines with `text` and `label` fields (`.gz` too); or a
                `tf.data.Dataset` of `(text, label)` pairs (batched or not), also streamed.
                Streamed data is read once for the vocabulary and label set, then once per
                epoch through a bounded shuffle buffer (`shuffle_buffer`), batched by length
                buckets; memory does not grow with its size.
            y: Labels (strings or integers); None when `x` is files or a dataset.
            validation_data: `(texts, labels)`, files or a dataset; enables early stopping.
            epochs: Maximum training epochs. None (the default) picks enough epochs for at
                least 300 optimizer steps, between 10 and 100: 10 epochs of 32-example batches
                are only 40 steps on a 130-example dataset, which leaves it underfitted
                (Emojify: 78% training accuracy), while 10 epochs stay the choice for datasets
                of 1,000 examples or more (and for streamed data, whose size is not known up
                front). With validation data, early stopping still applies.
            callbacks: Extra Keras callbacks, passed through to `model.fit`.

        Returns:
            self.

        Raises:
            TypeError: non-string texts or labels of the wrong type.
            ValueError: empty data, mismatched lengths, a single class, or validation labels
                never seen in the training data.
        """
        # First: a multi-worker strategy must exist before TensorFlow runs anything.
        trainer = Trainer.from_pipeline(self)
        trainer.strategy  # noqa: B018
        check_int("epochs", epochs, 1, allow_none=True)
        stream = self._stream(x, y, "x", trainer.strategy)
        if stream is not None:
            epochs = 10 if epochs is None else epochs
            return self._fit_stream(stream, validation_data, epochs, callbacks, trainer)
        texts, labels = texts_and_labels(x, y)
        if epochs is None:
            epochs = auto_epochs(len(texts), self.batch_size)
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValueError(f"`y` must contain at least two classes. Received only: {classes}")
        if self._binary_only and len(classes) != 2:
            raise ValueError(
                f"{type(self).__name__} is binary: `y` must have exactly two classes. "
                f"Received {len(classes)}: {classes[:10]}. Use TextClassifier for more."
            )
        val = (
            texts_and_labels(*validation_data, "validation_data[0]", "validation_data[1]")
            if isinstance(validation_data, (tuple, list))
            else (
                texts_and_labels(validation_data, None, "validation_data")
                if validation_data is not None
                else None
            )
        )
        vectors = None
        if self.embeddings is not None:
            from nlpkit import embeddings as nlpkit_embeddings

            vectors = nlpkit_embeddings.load(self.embeddings)

        set_seed(self.seed)
        previous = getattr(self, "classes_", None)
        self.classes_ = classes  # needed by _label_ids and _build_model; restored on failure
        try:
            label_ids = self._label_ids(labels, "y")
            val_ids = self._label_ids(val[1], "validation_data labels") if val else None
            vectorizer = self._make_vectorizer()
            vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(512))
            vocabulary = [str(v) for v in vectorizer.get_vocabulary()]
            trained_rows = len(vocabulary)
            matrix, oov = None, None
            if vectors is not None:
                if self.pretrained_words != 0:
                    vocabulary = add_pretrained_words(vocabulary, vectors, self.pretrained_words)
                    if len(vocabulary) > trained_rows:
                        vectorizer = self._make_vectorizer(vocabulary=vocabulary[2:])
                matrix, oov = nlpkit_embeddings.embedding_matrix(
                    vocabulary[:trained_rows], vectors, seed=self.seed or 0
                )
                if len(vocabulary) > trained_rows:
                    # Added words are pretrained by construction: their vectors, as they are.
                    extra = np.stack([vectors[w] for w in vocabulary[trained_rows:]])
                    matrix = np.concatenate([matrix, extra.astype("float32")])
                logger.info("Embedding coverage: %s", oov)
            with trainer.scope():
                model = self._build_model(len(vocabulary), matrix, trained_rows)

            def train_data(epoch):
                return self._dataset(
                    texts, label_ids, shuffle=True, vectorizer=vectorizer, epoch=epoch
                )

            val_ds = self._dataset(val[0], val_ids, vectorizer=vectorizer) if val else None
            history = trainer.fit(
                model,
                train_data,
                validation=val_ds,
                epochs=epochs,
                callbacks=callbacks,
                monitor="val_loss" if self.early_stopping else None,
                patience=self.early_stopping,
                batch_size=self.batch_size,
            )
        except BaseException:
            self.classes_ = previous
            raise
        # Commit the learned state only once training has finished.
        self.vectorizer_ = vectorizer
        self.vocabulary_ = vocabulary
        self.model_ = model
        self.history_ = history.history
        self.training_ = history  # the engine's TrainingResult: steps, stop_reason, ...
        self.oov_report_ = oov
        self.card_ = {
            "task": "text classification",
            "train_examples": len(texts),
            "train_data_hash": hash_strings(
                f"{t}\t{lab}" for t, lab in zip(texts, labels, strict=True)
            ),
            "classes": [str(c) for c in classes],
            "class_priors": [labels.count(c) / len(labels) for c in classes],
            "epochs_run": history.epochs_run,
            "stop_reason": history.stop_reason,
            "vocabulary_size": len(vocabulary),
            "seed": self.seed,
        }
        if oov is not None:
            self.card_["embedding_coverage"] = oov.to_dict()
        if val:
            self.card_["validation_metrics"] = self.evaluate(*val)
        return self

    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities, shape `(n, len(classes_))`, columns in `classes_` order.

        An empty list gives an empty `(0, len(classes_))` array. A text with no tokens after
        standardisation (empty, whitespace or punctuation only) carries no evidence: its row is
        the class frequencies of the training data (`card_["class_priors"]`; uniform for models
        saved before they were recorded), so its label is the most frequent class. The exported
        SavedModel does the same.
        """
        self._check_fitted("predict_proba")
        if isinstance(x, tf.data.Dataset):
            x, _ = dataset_to_lists(x)
        texts = check_texts("x", x, allow_empty=True)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype="float32")
        return self._proba(texts)

    def _class_priors(self) -> np.ndarray:
        priors = (getattr(self, "card_", None) or {}).get("class_priors")
        if not priors or len(priors) != len(self.classes_):
            return np.full(len(self.classes_), 1.0 / len(self.classes_), dtype="float32")
        return np.asarray(priors, dtype="float32")

    def _probs_graph(self, text: tf.Tensor, model, vectorizer, priors: tf.Tensor) -> tf.Tensor:
        """Probabilities of a batch of raw strings, in the graph; texts without tokens after
        standardisation get the class priors (see `predict_proba`). Shared by `predict_proba`
        and the export, so both give the same rows."""
        ids = self._vectorize(text, vectorizer)
        probs = model(ids, training=False)
        no_tokens = tf.reduce_all(tf.equal(ids, 0), axis=1)
        return tf.where(no_tokens[:, None], priors[None, :], probs)

    def _proba_fn(self):
        """The traced `strings -> probabilities` function of the current model (cached).

        One trace serves every batch size and text length (`None` dimensions); it is rebuilt
        when `model_` or `vectorizer_` is replaced (refit, load).
        """

        def build():
            model, vectorizer = self.model_, self.vectorizer_
            priors = tf.constant(self._class_priors())

            @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
            def proba(text):
                return self._probs_graph(text, model, vectorizer, priors)

            return proba

        return cached_function(self, "_proba_cache", (self.model_, self.vectorizer_), build)

    def _proba(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """Probabilities for `texts` without `Model.predict`: length-sorted batches through
        the cached traced function (a batch pads to similar lengths only)."""
        fn = self._proba_fn()
        out = np.zeros((len(texts), len(self.classes_)), dtype="float32")
        bs = batch_size or max(self.batch_size, 64)
        lengths = [min(len(t.split()), self.max_length) for t in texts]
        for idx in length_sorted_batches(lengths, bs):
            out[idx] = fn(tf.constant([texts[i] for i in idx], tf.string)).numpy()
        return out

    def predict(self, x) -> list:
        """Predicted labels (same type as the training labels)."""
        self._check_fitted("predict")
        probs = self.predict_proba(x)
        return [self.classes_[i] for i in probs.argmax(axis=-1)]

    def evaluate(self, x, y=None) -> dict[str, float]:
        """Accuracy, macro-F1, per-class precision/recall/F1 and mean cross-entropy `loss`.

        Raises:
            ValueError: a label was never seen in fit (the message lists it).
        """
        self._check_fitted("evaluate")
        texts, labels = texts_and_labels(x, y)
        ids = self._label_ids(labels, "y")
        probs = self.predict_proba(texts)
        report = classification_report(ids, probs.argmax(-1), [str(c) for c in self.classes_])
        p_true = np.clip(probs[np.arange(len(ids)), ids], 1e-12, 1.0)
        report["loss"] = float(-np.mean(np.log(p_true)))
        return report

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> None:
        # Files: model.keras, vocabulary.txt (every token in id order, the padding '' and
        # '[UNK]' first), labels.json (classes in output-unit order; JSON keeps int labels
        # ints), history.json.
        self.model_.save(directory / "model.keras")
        write_vocabulary(directory / "vocabulary.txt", self.vocabulary_)
        write_json(directory / "labels.json", list(self.classes_))
        write_json(directory / "history.json", self.history_)

    def _load_state(self, directory: Path) -> None:
        if getattr(self, "_layout", LAYOUT) >= 2:
            vocab = read_vocabulary(directory / "vocabulary.txt")[2:]  # Keras adds '' and [UNK]
        else:  # nlpkit 0.1: without '' and '[UNK]', unescaped
            vocab = (directory / "vocabulary.txt").read_text(encoding="utf-8").split("\n")[:-1]
        self.classes_ = read_json(directory / "labels.json")
        if not isinstance(self.classes_, list) or not all(
            isinstance(c, (str, int, float, bool)) for c in self.classes_
        ):
            raise IntegrityError(
                f"{directory / 'labels.json'} must hold a JSON list of labels (strings or "
                f"numbers). Received: {self.classes_!r:.80}"
            )
        self.vectorizer_ = self._make_vectorizer(vocabulary=vocab)
        # built now (as `adapt` builds it in `fit`), so a loaded pipeline exports at once
        self.vectorizer_.build((None,))
        self.vocabulary_ = [str(v) for v in self.vectorizer_.get_vocabulary()]
        self.model_ = load_keras_model(directory / "model.keras")
        self.history_ = read_json(directory / "history.json")
        self.oov_report_ = None

    def _check_structure(self, directory: Path) -> None:
        rows = self.model_.get_layer("embedding").input_dim
        check_rows(directory, "vocabulary.txt", len(self.vocabulary_), rows, "embedding rows")
        units = self.model_.output_shape[-1]
        check_rows(directory, "labels.json", len(self.classes_), units, "output units")

    def _export(self, directory: Path) -> None:
        archive = keras.export.ExportArchive()
        archive.track(self.model_)
        archive.track(self.vectorizer_)
        class_names = tf.constant([str(c) for c in self.classes_])

        priors = tf.constant(self._class_priors())

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(text):
            # texts without tokens get the class priors, as in `predict_proba`
            probs = self._probs_graph(text, self.model_, self.vectorizer_, priors)
            label_id = tf.argmax(probs, axis=-1, output_type=tf.int32)
            return {
                "label": tf.gather(class_names, label_id),
                "label_id": label_id,
                "scores": probs,
            }

        archive.add_endpoint("serving_default", serve)
        archive.write_out(os.fspath(directory), verbose=False)
        extra = directory / "assets.extra"
        extra.mkdir(exist_ok=True)
        write_vocabulary(extra / "labels.txt", [str(c) for c in self.classes_])
        write_json(
            extra / "config.json", {"class": type(self).__name__, "config": self.get_config()}
        )


class SentimentClassifier(TextClassifier):
    """Binary preset of `TextClassifier` (e.g. positive/negative), exported as `sentiment`.

    Same arguments and defaults as `TextClassifier`; `fit` requires exactly two classes.

    Example:
        >>> clf = SentimentClassifier(hidden_size=8, seed=0, verbose=0).fit(
        ...     ["good", "bad"], ["pos", "neg"], epochs=1)
        >>> clf.classes_
        ['neg', 'pos']
    """

    export_name = "sentiment"
    _binary_only = True


# ---------------------------------------------------------------------- recipes
def run_recipe(recipe: dict, recipe_path: Path | None = None) -> dict:
    """Moved to `nlpkit.recipes.classification.run_recipe`; this name keeps working."""
    from nlpkit.recipes.classification import run_recipe as run

    return run(recipe, recipe_path)
