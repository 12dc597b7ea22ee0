"""`EntityTagger`: named-entity recognition with a BiLSTM(-CRF) over word and character features.

The architecture of Lample et al. (2016) and Ma & Hovy (2016): each token is represented by its
(lower-cased) word embedding, optionally pretrained (`nlpkit.embeddings`), a casing feature and a
character-level encoding (char-BiLSTM or char-CNN, `nlpkit.layers.CharEncoder`); a recurrent stack
(`RecurrentStack`) reads the sentence and a dense layer scores every tag; a `CRF` (or a softmax)
chooses the tag sequence. Tags are learned in IOBES by default and returned in the scheme of the
training data (IOB1, IOB2 or IOBES, detected).

The network lives in `nlpkit.models.sequence_tagger`; this module holds the pipeline, its result
types (`Entity`, `ScoredEntity`) and its serving module (`_NERServing`).

Example:
    >>> from nlpkit import EntityTagger
    >>> tagger = EntityTagger(hidden_size=16, seed=0, verbose=0)
    >>> x = [["John", "lives", "in", "Paris"], ["Mary", "visited", "Rome"]]
    >>> y = [["B-PER", "O", "O", "B-LOC"], ["B-PER", "O", "B-LOC"]]
    >>> entities = tagger.fit(x, y, epochs=2).predict(["Ann lives in Oslo"])
    >>> len(entities), all(isinstance(e, Entity) for e in entities[0])
    (1, True)
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import keras
import numpy as np
import tensorflow as tf

from nlpkit.data.samples import write_sample_conll
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
from nlpkit.data.tfdata import dataset_to_lists, sentences_from_dataset
from nlpkit.layers.argmax_tags import ArgmaxTags, _ArgmaxTags  # noqa: F401 (old name)
from nlpkit.layers.recurrent_stack import CELLS
from nlpkit.metrics.entities import entity_scores
from nlpkit.models.sequence_tagger import (
    TaggerTrainer,
    build_sequence_tagger,
    scoring_parts,
    span_log_probs,
    use_fast_inference,
)
from nlpkit.pipelines.base import LAYOUT, Pipeline, check_rows
from nlpkit.text.tags import (
    SCHEMES,
    chunk_tables,
    convert_tags,
    detect_scheme,
    get_spans,
    split_tag,
)
from nlpkit.text.tokenizer import casing_id, tf_casing_ids, tf_tokenize, tokenize
from nlpkit.training import Trainer, check_training_settings, set_seed
from nlpkit.utils.files import (
    hash_strings,
    load_keras_model,
    read_json,
    read_vocabulary,
    write_json,
    write_vocabulary,
)
from nlpkit.utils.inference import cached_function
from nlpkit.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_ordered,
    check_same_length,
    check_seed,
    check_texts,
    check_token,
    check_token_lists,
    valid_token,
)

__all__ = ["EntityTagger", "Entity", "ScoredEntity", "run_recipe", "write_sample_conll"]

PAD, UNK = "", "[UNK]"
OUTPUTS = ("crf", "softmax")
CHAR_ENCODERS = ("lstm", "cnn", "both", "none")


class Entity(NamedTuple):
    """An entity found in a raw sentence: `text == sentence[start_char:end_char]`.

    Offsets count characters (Unicode code points) of the Python string, end exclusive; the
    exported SavedModel returns the same offsets.
    """

    start_char: int
    end_char: int
    label: str
    text: str


class ScoredEntity(NamedTuple):
    """An entity with the model's confidence in it (`EntityTagger.predict(confidences=True)`).

    For raw sentences `start`/`end` are character offsets and `text == sentence[start:end]`
    (as in `Entity`); for token lists they are token indices (end exclusive) and `text` is
    those tokens joined by spaces. `confidence` is the probability, under the model, that
    exactly these tokens carry exactly these tags: the CRF's forward-backward marginal of the
    span (`nlpkit.layers.crf.crf_segment_log_probability`), or for `output='softmax'` the
    product of the tokens' tag probabilities.
    """

    start: int
    end: int
    label: str
    text: str
    confidence: float


class EntityTagger(Pipeline):
    """Named-entity recognition: BiLSTM-CRF with word, casing and character features.

    Args:
        embeddings: Pretrained word vectors: None (random init), a file path, a preset name
            (e.g. "glove-6B-50d") or a gensim `KeyedVectors` (see `nlpkit.embeddings.load`).
        embedding_dim: Word embedding size when `embeddings` is None.
        trainable_embeddings: Fine-tune the word embeddings.
        pretrained_words: With `embeddings`, how many of the most frequent pretrained words are
            added to the training words, so that test words unseen in training keep a vector;
            None adds every pretrained word (400,000 for GloVe 6B: a 400,000 x 50 table is
            80 MB of float32, and with frozen vectors it costs no training time).
        lowercase: Look words up lower-cased (the casing feature keeps the case information).
        casing: Add a learned casing feature (`nlpkit.text.tokenizer.CASING_CLASSES`).
        char_encoder: 'lstm' (Lample et al. 2016), 'cnn' (Ma & Hovy 2016), 'both' (the two
            side by side, their outputs concatenated) or 'none'.
        char_embedding_dim: Character embedding size.
        char_hidden_size: Char-LSTM units per direction, or char-CNN filters.
        char_kernel_size: Char-CNN width.
        max_word_length: Characters per word read by the character encoder (longer words are
            cut).
        cell: 'rnn', 'gru' or 'lstm'.
        hidden_size: Units per direction of the sentence encoder.
        num_layers: Recurrent layers.
        bidirectional: Read sentences in both directions.
        dropout: Dropout rate on the features and the encoder output.
        output: 'crf' (Viterbi decoding) or 'softmax' (independent per-token choices).
        constrained_decoding: With 'crf', forbid transitions invalid in `scheme` (I-X after O).
        scheme: Tag scheme used inside the model ('iobes', 'iob2' or 'iob1'); predictions are
            returned in the scheme of the training data.
        min_count: Training words seen fewer times map to '[UNK]' (unless pretrained).
        word_dropout: While training, each occurrence of a training word seen only once is
            replaced by '[UNK]' with this probability (Lample et al. 2016 use 0.5), so that the
            '[UNK]' vector learns from rare words; 0 disables it. Inference is unaffected.
        batch_size: Sentences per batch (batches group sentences of similar length).
        learning_rate: Adam learning rate (gradients clipped to norm 5).
        learning_rate_decay: Epoch-wise decay as in Ma & Hovy (2016): epoch `t` (from 0) uses
            `learning_rate / (1 + learning_rate_decay * t)`; 0 keeps it constant.
        early_stopping: With `validation_data`, stop after this many epochs without a better
            validation entity F1; None trains all `epochs`. Either way the weights of the epoch
            with the best validation F1 are restored at the end (see `fit`).
        seed: Seed for weights, shuffling and dropout: the same seed repeats a CPU run.
        verbose: Keras progress display during `fit`: 'auto', 0 (silent), 1 or 2.
        shuffle_buffer: Sentences held by the shuffle buffer when `fit` streams CoNLL files or
            a `tf.data.Dataset` (in-memory lists are shuffled whole, by length-sorted batch).
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
        >>> tokens = [["Alice", "met", "Bob"], ["Bob", "left"]]
        >>> tags = [["B-PER", "O", "B-PER"], ["B-PER", "O"]]
        >>> tagger = EntityTagger(char_encoder="cnn", hidden_size=8, seed=0, verbose=0)
        >>> tagger = tagger.fit(tokens, tags, epochs=1)
        >>> len(tagger.predict([["Alice", "met", "Bob"]]))
        1
    """

    export_name = "ner"

    def __init__(
        self,
        *,
        embeddings: Any = None,
        embedding_dim: int = 100,
        trainable_embeddings: bool = True,
        pretrained_words: int | None = 50_000,
        lowercase: bool = True,
        casing: bool = True,
        char_encoder: str = "lstm",
        char_embedding_dim: int = 25,
        char_hidden_size: int = 25,
        char_kernel_size: int = 3,
        max_word_length: int = 25,
        cell: str = "lstm",
        hidden_size: int = 100,
        num_layers: int = 1,
        bidirectional: bool = True,
        dropout: float = 0.5,
        output: str = "crf",
        constrained_decoding: bool = True,
        scheme: str = "iobes",
        min_count: int = 1,
        word_dropout: float = 0.0,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        learning_rate_decay: float = 0.0,
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
        self.embeddings = embeddings
        self.embedding_dim = check_int("embedding_dim", embedding_dim, 1)
        self.trainable_embeddings = check_bool("trainable_embeddings", trainable_embeddings)
        self.pretrained_words = check_int("pretrained_words", pretrained_words, 0, allow_none=True)
        self.lowercase = check_bool("lowercase", lowercase)
        self.casing = check_bool("casing", casing)
        self.char_encoder = check_choice("char_encoder", char_encoder, CHAR_ENCODERS)
        self.char_embedding_dim = check_int("char_embedding_dim", char_embedding_dim, 1)
        self.char_hidden_size = check_int("char_hidden_size", char_hidden_size, 1)
        self.char_kernel_size = check_int("char_kernel_size", char_kernel_size, 1)
        self.max_word_length = check_int("max_word_length", max_word_length, 1)
        self.cell = check_choice("cell", cell, CELLS)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        self.num_layers = check_int("num_layers", num_layers, 1)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        self.dropout = check_float("dropout", dropout, 0.0, 1.0, high_inclusive=False)
        self.output = check_choice("output", output, OUTPUTS)
        self.constrained_decoding = check_bool("constrained_decoding", constrained_decoding)
        self.scheme = check_choice("scheme", scheme, SCHEMES)
        self.min_count = check_int("min_count", min_count, 1)
        self.word_dropout = check_float("word_dropout", word_dropout, 0.0, 1.0)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, low_inclusive=False)
        self.learning_rate_decay = check_float("learning_rate_decay", learning_rate_decay, 0.0)
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
        self.model_ = None

    # ================================================================ input handling
    @staticmethod
    def _tagged(x, y, name: str = "x") -> tuple[list[list[str]], list[list[str]]]:
        """Validate (tokens, tags) given as lists or as a tf.data.Dataset of pairs."""
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError(
                    "When `x` is a tf.data.Dataset it must yield (tokens, tags) pairs; `y` must be "
                    f"None. Received y of type {type(y).__name__}"
                )
            x_spec = x.element_spec
            x, y = dataset_to_lists(x, token_lists=True)
            if y is None:
                raise ValueError(
                    "A tf.data.Dataset given to EntityTagger must yield (tokens, tags) pairs. "
                    f"Received elements with spec: {x_spec}"
                )
        if y is None:
            raise ValueError(
                f"`y` (one tag list per sentence of `{name}`) is required. Received: y=None"
            )
        x = check_token_lists(name, x)
        y = check_token_lists("y", y)
        check_same_length(name, x, "y", y)
        for i, (toks, tags) in enumerate(zip(x, y, strict=True)):
            if len(toks) != len(tags):
                raise ValueError(
                    f"Sentence {i} has {len(toks)} tokens but {len(tags)} tags; every token needs "
                    "exactly one tag."
                )
            for t in toks:
                check_token(t, i)
            for tag in tags:
                try:
                    split_tag(tag)
                except ValueError as e:
                    raise ValueError(f"Sentence {i}: {e}") from e
        return x, y

    # ================================================================ fit
    def fit(
        self,
        x,
        y=None,
        *,
        validation_data=None,
        epochs: int = 10,
        callbacks=None,
    ) -> EntityTagger:
        """Learn vocabularies and train the network.

        Args:
            x: Token lists (one list of strings per sentence); or CoNLL files, streamed (a
                path, a glob or a list of them; token first, tag last column); or a
                tf.data.Dataset yielding `(tokens, tags)` string tensors (one sentence per
                element, or batched), also streamed. Streamed data is read once for the word,
                character and tag sets (word counts capped in memory), then once per epoch
                through a bounded shuffle buffer (`shuffle_buffer`) into length buckets;
                validation data is held in memory (it is decoded for F1 after each epoch).
            y: Tag lists (IOB1, IOB2 or IOBES; detected), None with files or a Dataset.
            validation_data: Optional `(tokens, tags)` pair or Dataset. After every epoch the
                entity F1 on it is computed (Viterbi decoding, conlleval rules) and recorded in
                `history_["val_f1"]` (beside `val_loss`); the weights of the epoch with the best
                F1 are restored when training ends (`best_epoch_`, 1-based), and training stops
                after `early_stopping` epochs without improvement: model selection on
                validation F1, as in Lample et al. (2016). Scores then measured on this same
                data are optimistic; `history_["val_f1"][-1]` is the last epoch's.
            epochs: Training epochs.
            callbacks: Extra Keras callbacks.

        Returns:
            self.

        Raises:
            TypeError, ValueError: malformed inputs (messages name the sentence).
        """
        epochs = check_int("epochs", epochs, 1)
        # First: a multi-worker strategy must exist before TensorFlow runs anything.
        engine = Trainer.from_pipeline(self)
        engine.strategy  # noqa: B018
        stream = self._stream(x, y, "x", engine.strategy)
        if stream is not None:
            return self._fit_stream(stream, validation_data, epochs, callbacks, engine)
        x, y = self._tagged(x, y)
        val = None
        if validation_data is not None:
            if isinstance(validation_data, tf.data.Dataset):
                val = self._tagged(validation_data, None, "validation_data")
            else:
                if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                    raise ValueError(
                        "`validation_data` must be a (tokens, tags) pair or a tf.data.Dataset. "
                        f"Received an object of type {type(validation_data).__name__}"
                    )
                val = self._tagged(validation_data[0], validation_data[1], "validation_data")
        keep = [i for i, t in enumerate(x) if t]
        x, y = [x[i] for i in keep], [y[i] for i in keep]
        if not x:
            raise ValueError("`x` has no non-empty sentence to learn from.")
        set_seed(self.seed)
        self.input_scheme_ = detect_scheme(y)
        internal = [convert_tags(t, self.scheme) for t in y]
        tag_set = sorted(
            {t for seq in internal for t in seq} - {"O"}, key=lambda t: (split_tag(t)[1], t)
        )
        self.tags_ = ["O", *tag_set]
        self._tag_index = {t: i for i, t in enumerate(self.tags_)}

        counts = Counter(self._norm(w) for seq in x for w in seq)
        chars = Counter(c for seq in x for w in seq for c in w[: self.max_word_length])
        matrix, trained_rows, rare_ids, card = self._learn_vocabularies(counts, chars)

        encoded = self._encode_batches(x, internal)
        train_ds = self._dataset(x, internal, shuffle=True, encoded=encoded)
        lr = self.learning_rate
        if self.learning_rate_decay:
            lr = keras.optimizers.schedules.InverseTimeDecay(
                lr,
                decay_steps=int(train_ds.cardinality()),  # batches per epoch
                decay_rate=self.learning_rate_decay,
                staircase=True,
            )
        with engine.scope():
            self.model_, network, crf = self._build(matrix, trained_rows, rare_ids)
            trainer = TaggerTrainer(network, crf, name="ner_trainer")
            trainer.compile(optimizer=keras.optimizers.Adam(lr, clipnorm=5.0))

        def train_data(epoch):
            # Keras fit: one dataset reshuffling each pass; the engine's loop: epoch's order.
            return (
                train_ds
                if epoch is None
                else self._dataset(x, internal, shuffle=True, epoch=epoch, encoded=encoded)
            )

        val_ds = None
        extra = None
        self._predict_fn = None
        self.best_epoch_ = None
        if val is not None:
            val_internal = [convert_tags(t, self.scheme) for t in val[1]]
            val_ds = self._dataset(*_non_empty(val[0], val_internal), shuffle=False)

            def extra():
                # Model selection on validation entity F1 (Lample et al. 2016): Viterbi-decode
                # the validation sentences with the current weights, score with conlleval's
                # rules; the engine keeps the best epoch (ties keep the earlier) and restores it
                # however training ends.
                return {"val_f1": entity_scores(val[1], self.predict(val[0]))["f1"]}

        start = time.perf_counter()
        history = engine.fit(
            trainer,
            train_data,
            validation=val_ds,
            epochs=epochs,
            callbacks=callbacks,
            monitor="val_f1" if val is not None else None,
            mode="max",
            patience=self.early_stopping,
            extra_validation=extra,
            batch_size=self.batch_size,
        )
        elapsed = time.perf_counter() - start
        self.history_ = history.history
        self.training_ = history  # the engine's TrainingResult: steps, stop_reason, ...
        if val is not None:
            self.best_epoch_ = history.best_epoch
        n_tokens = sum(len(s) for s in x)
        train_scores = {}
        card.update(
            data_hash=hash_strings(
                " ".join(s) + "\t" + " ".join(t) for s, t in zip(x, y, strict=True)
            ),
            seed=self.seed,
            train_sentences=len(x),
            train_tokens=n_tokens,
            epochs_run=history.epochs_run,
            stop_reason=history.stop_reason,
            train_seconds=round(elapsed, 2),
            tags=self.tags_,
            input_scheme=self.input_scheme_,
            vocabulary_size=len(self.vocabulary_),
        )
        if val is not None:
            train_scores = self.evaluate(*val)
            card["metrics"] = {
                f"validation_{k}": v for k, v in train_scores.items() if "/" not in k
            }
            card["selected_epoch"] = self.best_epoch_
            card["model_selection"] = "best validation entity F1 (these metrics are optimistic)"
        self.card_ = card
        return self

    # ================================================================ streamed input
    def _stream(self, x, y, name: str, strategy=None):
        """For CoNLL files or a `tf.data.Dataset`: `(raw, encoded)`, two functions: `raw()`
        iterates `(tokens, tags)` sentences in Python (the vocabulary pass), `encoded()` returns
        the unbatched tf.data stream of encoded sentences (after the vocabularies are set).
        None for in-memory input."""
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError(
                    "When `x` is a tf.data.Dataset it must yield (tokens, tags) pairs; `y` must be "
                    f"None. Received y of type {type(y).__name__}"
                )
            spec = x.element_spec
            if not (isinstance(spec, tuple) and len(spec) == 2):
                raise ValueError(
                    "A tf.data.Dataset given to EntityTagger must yield (tokens, tags) pairs. "
                    f"Received elements with spec: {spec}"
                )
            ds = unbatched(x, 1)

            def raw():
                for tokens, tags in ds.as_numpy_iterator():
                    toks = [t.decode("utf-8") for t in tokens if t != b""]
                    yield toks, [t.decode("utf-8") for t in tags if t != b""]

            def encoded():
                return tf.data.Dataset.from_generator(
                    lambda: (self._encode_one(t, g) for t, g in raw() if t),
                    output_signature=_SENTENCE_SPEC,
                )

            return raw, encoded
        if y is not None and isinstance(x, str):
            return None  # a single text with labels: the in-memory checks say what is wrong
        files = file_source(x, name, str_lists=y is None)
        if files is None:
            return None
        if y is not None:
            raise ValueError(
                f"When `{name}` names CoNLL files, `y` must be None (tags come from the files)."
            )
        from nlpkit.data.conll import iter_conll

        def raw():
            for f in files:
                yield from iter_conll(f)

        def read(path):
            for tokens, tags in iter_conll(path):
                yield self._encode_one(tokens, tags)

        shard = worker_shard(strategy)
        return raw, lambda: files_dataset(files, read, _SENTENCE_SPEC, shard=shard)

    def _encode_one(self, tokens, tags):
        """One sentence -> `(word ids, char ids, casing ids, tag ids)` arrays (tags in the
        input scheme, converted here; a tag never seen in training counts as O)."""
        words, chars, casing = self._encode_batch([tokens])
        internal = convert_tags(list(tags), self.scheme)
        tag_ids = np.array([self._tag_index.get(t, 0) for t in internal], np.int32)
        return words[0], chars[0], casing[0], tag_ids

    def _fit_stream(self, stream, validation_data, epochs, callbacks, engine) -> EntityTagger:
        """`fit` on CoNLL files or a dataset: see `fit`."""
        import hashlib

        raw, encoded = stream
        # Length buckets vary the number of batches per epoch: the engine's own loop reads
        # each epoch to its end (Keras `fit` would truncate later epochs to the first's count).
        engine.loop = "custom"
        val = None
        if validation_data is not None:
            val_files = (
                None
                if isinstance(validation_data, tuple)
                else file_source(validation_data, "validation_data", str_lists=True)
            )
            if val_files is not None:
                from nlpkit.data.conll import iter_conll

                pairs = [p for f in val_files for p in iter_conll(f)]
                val = self._tagged([p[0] for p in pairs], [p[1] for p in pairs], "validation_data")
            elif isinstance(validation_data, tf.data.Dataset):
                val = self._tagged(validation_data, None, "validation_data")
            elif isinstance(validation_data, (tuple, list)) and len(validation_data) == 2:
                val = self._tagged(validation_data[0], validation_data[1], "validation_data")
            else:
                raise ValueError(
                    "`validation_data` must be a (tokens, tags) pair, CoNLL files or a "
                    f"tf.data.Dataset. Received an object of type {type(validation_data).__name__}"
                )
        set_seed(self.seed)
        # One pass: word counts (capped), characters, tags, the input scheme, sizes, hash.
        counts = CappedCounter(max(50 * self.pretrained_words, 2_000_000))
        chars: Counter = Counter()
        tags_seen: set[str] = set()
        schemes: set[str] = set()
        digest = hashlib.sha256()
        n_sentences = n_tokens = 0
        for i, (tokens, tags) in enumerate(raw()):
            if len(tokens) != len(tags):
                raise ValueError(
                    f"Sentence {i} has {len(tokens)} tokens but {len(tags)} tags; every token "
                    "needs exactly one tag."
                )
            if not tokens:
                continue
            for t in tokens:
                check_token(t, i)
            try:
                schemes.add(detect_scheme([tags]))
            except ValueError as e:
                raise ValueError(f"Sentence {i}: {e}") from e
            tags_seen.update(convert_tags(tags, self.scheme))
            counts.update(self._norm(w) for w in tokens)
            chars.update(c for w in tokens for c in w[: self.max_word_length])
            digest.update((" ".join(tokens) + "\t" + " ".join(tags)).encode("utf-8") + b"\x00")
            n_sentences += 1
            n_tokens += len(tokens)
        if not n_sentences:
            raise ValueError("`x` has no non-empty sentence to learn from.")
        self.input_scheme_ = (
            "iobes" if "iobes" in schemes else "iob1" if "iob1" in schemes else "iob2"
        )
        tag_set = sorted(tags_seen - {"O"}, key=lambda t: (split_tag(t)[1], t))
        self.tags_ = ["O", *tag_set]
        self._tag_index = {t: i for i, t in enumerate(self.tags_)}
        matrix, trained_rows, rare_ids, card = self._learn_vocabularies(counts.counts, chars)
        lr = self.learning_rate
        if self.learning_rate_decay:
            lr = keras.optimizers.schedules.InverseTimeDecay(
                lr,
                decay_steps=max(1, -(-n_sentences // self.batch_size)),  # about an epoch
                decay_rate=self.learning_rate_decay,
                staircase=True,
            )
        with engine.scope():
            self.model_, network, crf = self._build(matrix, trained_rows, rare_ids)
            trainer = TaggerTrainer(network, crf, name="ner_trainer")
            trainer.compile(optimizer=keras.optimizers.Adam(lr, clipnorm=5.0))
        bounds = length_buckets(128)

        def train_data(epoch):
            ds = shuffled(encoded(), self.shuffle_buffer, self.seed, epoch)
            ds = ds.bucket_by_sequence_length(
                lambda w, c, k, t: tf.shape(w)[0],
                bucket_boundaries=bounds,
                bucket_batch_sizes=[self.batch_size] * (len(bounds) + 1),
            )
            return ds.map(lambda w, c, k, t: ((w, c, k), t)).prefetch(tf.data.AUTOTUNE)

        val_ds = extra = None
        self._predict_fn = None
        self.best_epoch_ = None
        if val is not None:
            val_internal = [convert_tags(t, self.scheme) for t in val[1]]
            val_ds = self._dataset(*_non_empty(val[0], val_internal), shuffle=False)

            def extra():
                return {"val_f1": entity_scores(val[1], self.predict(val[0]))["f1"]}

        start = time.perf_counter()
        history = engine.fit(
            trainer,
            train_data,
            validation=val_ds,
            epochs=epochs,
            callbacks=callbacks,
            monitor="val_f1" if val is not None else None,
            mode="max",
            patience=self.early_stopping,
            extra_validation=extra,
            batch_size=self.batch_size,
        )
        elapsed = time.perf_counter() - start
        self.history_ = history.history
        self.training_ = history
        if val is not None:
            self.best_epoch_ = history.best_epoch
        card.update(
            data_hash=digest.hexdigest()[:16],
            train_data="streamed",
            seed=self.seed,
            train_sentences=n_sentences,
            train_tokens=n_tokens,
            epochs_run=history.epochs_run,
            stop_reason=history.stop_reason,
            train_seconds=round(elapsed, 2),
            tags=self.tags_,
            input_scheme=self.input_scheme_,
            vocabulary_size=len(self.vocabulary_),
        )
        if val is not None:
            scores = self.evaluate(*val)
            card["metrics"] = {f"validation_{k}": v for k, v in scores.items() if "/" not in k}
            card["selected_epoch"] = self.best_epoch_
            card["model_selection"] = "best validation entity F1 (these metrics are optimistic)"
        self.card_ = card
        return self

    def _learn_vocabularies(self, counts, chars):
        """Set `vocabulary_` and `characters_` from word and character counts (one pass over
        the training data, in memory or streamed). Returns `(embedding matrix or None, trained
        rows, model card entries)`."""
        words = [
            w
            for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if c >= self.min_count
        ]
        card: dict[str, Any] = {}
        matrix = None
        trained_rows = 2 + len(words)  # padding, [UNK] and the training words
        if self.embeddings is not None:
            from nlpkit import embeddings as emb

            kv = emb.load(self.embeddings)
            seen = set(words)
            rare = {w for w, c in counts.items() if c < self.min_count}
            for w in list(rare) + list(kv.index_to_key[: self.pretrained_words]):
                if (w in kv.key_to_index) and w not in seen and valid_token(w):
                    words.append(w)
                    seen.add(w)
            vocab = [PAD, UNK, *words]
            matrix, report = emb.embedding_matrix(
                vocab, kv, oov="random", seed=self.seed or 0, counts=counts
            )
            card["oov"] = report.to_dict()
            card["embeddings"] = (
                self.embeddings
                if isinstance(self.embeddings, str)
                else type(self.embeddings).__name__
            )
        self.vocabulary_ = [PAD, UNK, *words]
        self._word_index = {w: i for i, w in enumerate(self.vocabulary_)}
        self.characters_ = [PAD, UNK, *sorted(chars)]
        self._char_index = {c: i for i, c in enumerate(self.characters_)}

        singletons = sum(1 for w in words[: trained_rows - 2] if counts[w] == 1)
        rare_ids = (trained_rows - singletons, trained_rows)  # words are sorted by count
        return matrix, trained_rows, rare_ids, card

    def _norm(self, word: str) -> str:
        return word.lower() if self.lowercase else word

    def refit(self, x, y=None, *, epochs: int | None = None, callbacks=None) -> EntityTagger:
        """A new tagger with this one's configuration, trained on `x, y` without validation
        data for the number of epochs model selection chose: the final refit of the usual
        protocol (choose the epoch with held-out data, then train on everything, e.g. train +
        dev, for that many epochs). This tagger is left as it is.

        Args:
            x: Token lists, or a dataset, as for `fit` (typically the training sentences plus
                the ones used for selection).
            y: Tag lists, None with a dataset.
            epochs: Epochs to train; default `best_epoch_`, the epoch `fit(validation_data=...)`
                selected.
            callbacks: Extra Keras callbacks (e.g. `nlpkit.utils.weight_averaging.AverageLastEpochs`).

        Returns:
            The new fitted `EntityTagger`.

        Raises:
            NotFittedError: this tagger is not fitted.
            ValueError: `epochs` is None and this tagger was fitted without validation data.

        Example:
            >>> tagger = EntityTagger(seed=0).fit(train_x, train_y, validation_data=(sx, sy))  # doctest: +SKIP
            >>> final = tagger.refit(train_x + sx, train_y + sy)  # doctest: +SKIP
        """
        self._check_fitted("refit")
        if epochs is None:
            if getattr(self, "best_epoch_", None) is None:
                raise ValueError(
                    "`refit` needs `epochs`, or a tagger fitted with `validation_data` (whose "
                    "selected epoch, `best_epoch_`, it reuses). Received: epochs=None and "
                    "best_epoch_=None."
                )
            epochs = self.best_epoch_
        epochs = check_int("epochs", epochs, 1)
        # The live arguments, not `get_config()`, which stores in-memory vectors as None.
        fresh = type(self)(**{name: getattr(self, name) for name in self._param_names()})
        return fresh.fit(x, y, epochs=epochs, callbacks=callbacks)

    # ================================================================ model
    def _build(self, matrix: np.ndarray | None, trained_rows: int, rare_ids=None):
        return build_sequence_tagger(
            len(self.vocabulary_),
            len(self.characters_),
            self.tags_,
            matrix=matrix,
            trained_rows=trained_rows,
            rare_ids=rare_ids,
            embedding_dim=self.embedding_dim,
            trainable_embeddings=self.trainable_embeddings,
            word_dropout=self.word_dropout,
            casing=self.casing,
            char_encoder=self.char_encoder,
            char_embedding_dim=self.char_embedding_dim,
            char_hidden_size=self.char_hidden_size,
            char_kernel_size=self.char_kernel_size,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            output=self.output,
            constrained_decoding=self.constrained_decoding,
            scheme=self.scheme,
            seed=self.seed,
        )

    # ================================================================ encoding
    def _encode_batch(self, sentences: Sequence[Sequence[str]]):
        n = len(sentences)
        t = max(1, max((len(s) for s in sentences), default=1))
        c = max(
            1, max((min(len(w), self.max_word_length) for s in sentences for w in s), default=1)
        )
        words = np.zeros((n, t), np.int32)
        chars = np.zeros((n, t, c), np.int32)
        casing = np.zeros((n, t), np.int32)
        wi, ci = self._word_index, self._char_index
        for i, s in enumerate(sentences):
            for j, w in enumerate(s):
                words[i, j] = wi.get(self._norm(w), 1)
                casing[i, j] = casing_id(w)
                for k, ch in enumerate(w[: self.max_word_length]):
                    chars[i, j, k] = ci.get(ch, 1)
        return words, chars, casing

    def _encode_batches(self, x, internal_tags) -> list:
        """`((words, chars, casing), tags)` arrays of each batch: sentences of similar length,
        `batch_size` at a time. The input is in memory already, so `fit` encodes it once, not on
        every pass (encoding in Python each epoch competed with training for the CPU)."""
        order = sorted(range(len(x)), key=lambda i: len(x[i]))
        tag_index = self._tag_index
        encoded = []
        for start in range(0, len(order), self.batch_size):
            b = order[start : start + self.batch_size]
            words, chars, casing = self._encode_batch([x[i] for i in b])
            tags = np.zeros(words.shape, np.int32)
            for r, i in enumerate(b):
                # A tag never seen in training (possible in validation data) counts as O.
                tags[r, : len(internal_tags[i])] = [tag_index.get(t, 0) for t in internal_tags[i]]
            encoded.append(((words, chars, casing), tags))
        return encoded

    def _dataset(
        self, x, internal_tags, *, shuffle: bool, epoch: int | None = None, encoded=None
    ) -> tf.data.Dataset:
        """Batches of sentences of similar length; with `shuffle`, the batch order changes on
        each pass (`epoch=None`) or is that of epoch `epoch` (the engine's resumable loop).
        `encoded`: the batches from `_encode_batches(x, internal_tags)`, if already made."""
        if encoded is None:
            encoded = self._encode_batches(x, internal_tags)
        seed = self.seed if epoch is None else (self.seed or 0) * 1_000_003 + epoch + 1
        rng = random.Random(seed)

        def gen():
            chosen = list(range(len(encoded)))
            if shuffle:
                rng.shuffle(chosen)
            for k in chosen:
                yield encoded[k]

        sig = (
            (
                tf.TensorSpec((None, None), tf.int32),
                tf.TensorSpec((None, None, None), tf.int32),
                tf.TensorSpec((None, None), tf.int32),
            ),
            tf.TensorSpec((None, None), tf.int32),
        )
        ds = tf.data.Dataset.from_generator(gen, output_signature=sig)
        return ds.apply(tf.data.experimental.assert_cardinality(len(encoded))).prefetch(2)

    def _decode_fn(self):
        """The traced `(words, chars, casing) -> tag ids` function of the current model.

        One trace serves every batch size, sentence length and word length (`None`
        dimensions); it is rebuilt whenever `model_` is a different object (refit, load).
        """

        def build():
            model = self.model_

            @tf.function(
                input_signature=[
                    tf.TensorSpec((None, None), tf.int32),
                    tf.TensorSpec((None, None, None), tf.int32),
                    tf.TensorSpec((None, None), tf.int32),
                ],
                reduce_retracing=True,
            )
            def decode(words, chars, casing):
                return model([words, chars, casing], training=False)

            return decode

        return cached_function(self, "_decode_cache", (self.model_,), build)

    def _tag_internal(
        self, sentences: list[list[str]], batch_size: int | None = None
    ) -> list[list[str]]:
        """Tag token lists with the model; tags in the internal scheme."""
        bs = batch_size or max(self.batch_size, 64)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        out: list[list[str] | None] = [None] * len(sentences)
        decode = self._decode_fn()
        for s in range(0, len(order), bs):
            idx = order[s : s + bs]
            batch = [sentences[i] for i in idx]
            ids = decode(*self._encode_batch(batch)).numpy()
            for r, i in enumerate(idx):
                out[i] = [self.tags_[k] for k in ids[r, : len(sentences[i])]]
        return out  # type: ignore[return-value]

    # ================================================================ predict / evaluate
    def predict(self, x, *, batch_size: int | None = None, confidences: bool = False):
        """Tag token lists, or find entities in raw sentences.

        Args:
            x: Token lists (`[["John", "lives", ...], ...]`) or raw sentences
                (`["John lives in Paris.", ...]`), or a tf.data.Dataset of either.
            batch_size: Sentences per inference batch.
            confidences: Return, for either kind of input, one list of
                `ScoredEntity(start, end, label, text, confidence)` per sentence: the entities
                with the probability the model gives each (see `ScoredEntity`; character offsets
                for raw sentences, token indices for token lists). Costs a second pass of the
                network and a forward-backward over each batch.

        Returns:
            For token lists: one tag list per sentence, in the scheme of the training data.
            For raw sentences: one list of `Entity(start_char, end_char, label, text)` per
            sentence, found with `nlpkit.text.tokenizer.tokenize` (character offsets).
            With `confidences=True`: lists of `ScoredEntity` (above).
            An empty `x` gives `[]`; an empty or whitespace-only sentence (or an empty token
            list) gives `[]` for it: no tokens, no entities. The SavedModel does the same.

        Raises:
            NotFittedError: before `fit`.
            TypeError: `x` is neither.
        """
        self._check_fitted("predict")
        x = sentences_from_dataset(x)
        if isinstance(x, str):
            raise TypeError(
                "`x` must be a list of sentences, not a single string. "
                f"Wrap it in a list: [{x!r:.40}]"
            )
        x = check_ordered("x", x)
        check_bool("confidences", confidences)
        if not x:  # an empty batch gives an empty result, in every pipeline
            return []
        if any(isinstance(s, (str, bytes)) for s in x):  # raw sentences; blames a bad item
            texts = check_texts("x", x, allow_empty=True)
            toks = [tokenize(t) for t in texts]
            words = [[w for w, _, _ in t] for t in toks]
            tags = self._tag_internal(words, batch_size)
            if confidences:
                return [
                    [
                        ScoredEntity(
                            tk[sp.start][1],
                            tk[sp.end - 1][2],
                            sp.label,
                            text[tk[sp.start][1] : tk[sp.end - 1][2]],
                            conf,
                        )
                        for sp, conf in scored
                    ]
                    for text, tk, scored in zip(
                        texts, toks, self._score_spans(words, tags, batch_size), strict=True
                    )
                ]
            out = []
            for text, tk, tg in zip(texts, toks, tags, strict=True):
                ents = []
                for sp in get_spans(tg):
                    a, b = tk[sp.start][1], tk[sp.end - 1][2]
                    ents.append(Entity(a, b, sp.label, text[a:b]))
                out.append(ents)
            return out
        sentences = check_token_lists("x", x, allow_empty=True)
        for i, s in enumerate(sentences):
            for t in s:
                check_token(t, i)
        tags = self._tag_internal(sentences, batch_size)
        if confidences:
            return [
                [
                    ScoredEntity(sp.start, sp.end, sp.label, " ".join(s[sp.start : sp.end]), conf)
                    for sp, conf in scored
                ]
                for s, scored in zip(
                    sentences, self._score_spans(sentences, tags, batch_size), strict=True
                )
            ]
        return [convert_tags(t, self.input_scheme_) for t in tags]

    def _score_spans(self, sentences, internal_tags, batch_size=None):
        """`[(TokenSpan, confidence), ...]` per sentence for the entities of `internal_tags`."""
        cache = getattr(self, "_span_scorer", None)
        if cache is None or cache[0] is not self.model_:
            scorer, crf = scoring_parts(self.model_)

            @tf.function(
                input_signature=[
                    tf.TensorSpec((None, None), tf.int32),
                    tf.TensorSpec((None, None, None), tf.int32),
                    tf.TensorSpec((None, None), tf.int32),
                    tf.TensorSpec((None, None), tf.int32),
                    tf.TensorSpec((None, 3), tf.int32),
                ],
                reduce_retracing=True,
            )
            def span_probs(words, chars, casing, ids, segments):
                potentials = scorer([words, chars, casing], training=False)
                mask = tf.not_equal(words, 0)
                return tf.exp(span_log_probs(crf, potentials, ids, mask, segments))

            self._span_scorer = cache = (self.model_, span_probs)
        span_probs = cache[1]
        bs = batch_size or max(self.batch_size, 64)
        out: list[list] = [[] for _ in sentences]
        for s in range(0, len(sentences), bs):
            idx = [i for i in range(s, min(s + bs, len(sentences))) if sentences[i]]
            spans = {i: get_spans(internal_tags[i]) for i in idx}
            segments = [(r, sp.start, sp.end - 1) for r, i in enumerate(idx) for sp in spans[i]]
            if not segments:
                continue
            words, chars, casing = self._encode_batch([sentences[i] for i in idx])
            ids = np.zeros(words.shape, np.int32)
            for r, i in enumerate(idx):
                ids[r, : len(internal_tags[i])] = [self._tag_index[t] for t in internal_tags[i]]
            probs = span_probs(words, chars, casing, ids, np.array(segments, np.int32)).numpy()
            k = 0
            for i in idx:
                for sp in spans[i]:
                    out[i].append((sp, float(probs[k])))
                    k += 1
        return out

    def evaluate(self, x, y=None, *, batch_size: int | None = None) -> dict[str, float]:
        """Entity-level precision, recall and F1 (overall and per type), as conlleval computes them.

        Args:
            x: Token lists, or a tf.data.Dataset of `(tokens, tags)` pairs.
            y: Gold tags (any scheme), None with a Dataset.
            batch_size: Sentences per inference batch.

        Returns:
            `precision`, `recall`, `f1`, `accuracy` and `<TYPE>/precision|recall|f1|support`
            (see `nlpkit.metrics.entities.entity_scores`).
        """
        self._check_fitted("evaluate")
        x, y = self._tagged(x, y)
        return entity_scores(y, self.predict(x, batch_size=batch_size))

    # ================================================================ persistence
    def _save_state(self, directory: Path) -> None:
        # Files: model.keras; vocabulary.txt, characters.txt, tags.txt (one entry a line, in
        # id order, see `write_vocabulary`); state.json.
        self.model_.save(directory / "model.keras")
        write_vocabulary(directory / "vocabulary.txt", self.vocabulary_)
        write_vocabulary(directory / "characters.txt", self.characters_)
        write_vocabulary(directory / "tags.txt", self.tags_)
        write_json(
            directory / "state.json",
            {
                "input_scheme": self.input_scheme_,
                "history": self.history_,
                "best_epoch": getattr(self, "best_epoch_", None),
            },
        )

    def _load_state(self, directory: Path) -> None:
        self.model_ = use_fast_inference(load_keras_model(directory / "model.keras", compile=False))
        if getattr(self, "_layout", LAYOUT) >= 2:
            read = read_vocabulary
        else:  # nlpkit 0.1: joined with newlines, no final newline, unescaped

            def read(path):
                return path.read_text(encoding="utf-8").split("\n")

        self.vocabulary_ = read(directory / "vocabulary.txt")
        self.characters_ = read(directory / "characters.txt")
        self.tags_ = read(directory / "tags.txt")
        state = read_json(directory / "state.json")
        self.input_scheme_ = state["input_scheme"]
        self.history_ = state.get("history", {})
        self.best_epoch_ = state.get("best_epoch")
        self._word_index = {w: i for i, w in enumerate(self.vocabulary_)}
        self._char_index = {c: i for i, c in enumerate(self.characters_)}
        self._tag_index = {t: i for i, t in enumerate(self.tags_)}
        self._predict_fn = None

    def _check_structure(self, directory: Path) -> None:
        model = self.model_
        rows = model.get_layer("word_embedding").input_dim
        check_rows(directory, "vocabulary.txt", len(self.vocabulary_), rows, "word-embedding rows")
        # One character encoder ("char_encoder"), or two side by side for "both".
        names = ("char_encoder", "char_encoder_cnn", "char_encoder_lstm")
        for layer in (la for la in model.layers if la.name in names):
            rows = layer.vocabulary_size
            check_rows(directory, "characters.txt", len(self.characters_), rows, "character ids")
        units = model.get_layer("potentials").units
        check_rows(directory, "tags.txt", len(self.tags_), units, "tag scores per token")

    def _export(self, directory: Path) -> None:
        module = _NERServing(
            self.model_,
            vocabulary=self.vocabulary_,
            characters=self.characters_,
            tags=self.tags_,
            output_scheme=self.input_scheme_,
            lowercase=self.lowercase,
            max_word_length=self.max_word_length,
        )
        tf.saved_model.save(
            module,
            str(directory),
            signatures={
                "serving_default": module.serve,
                "tag_tokens": module.tag_tokens,
                "tag_tokens_scored": module.tag_tokens_scored,
            },
        )
        extra = directory / "assets.extra"
        extra.mkdir(exist_ok=True)
        write_json(
            extra / "config.json", {"class": type(self).__name__, "config": self.get_config()}
        )


# ==================================================================== export graph
class _NERServing(tf.Module):
    """The exported graph: tokenisation, lookups, network, Viterbi, tag conversion and spans."""

    def __init__(
        self, model, *, vocabulary, characters, tags, output_scheme, lowercase, max_word_length
    ):
        super().__init__()
        self.model = model
        # Potentials and decoding separately: the entity confidences need the potentials.
        self.scorer, self.crf = scoring_parts(model)
        self.word_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(vocabulary), tf.range(len(vocabulary), dtype=tf.int32)
            ),
            default_value=1,
        )
        self.char_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(characters), tf.range(len(characters), dtype=tf.int32)
            ),
            default_value=1,
        )
        self.lowercase = lowercase
        self.max_word_length = max_word_length
        self.output_scheme = output_scheme
        starts, ends = chunk_tables(tags)
        self.num_tags = len(tags)
        self.starts_table = tf.constant(starts)
        self.ends_table = tf.constant(ends)
        self.tag_types = tf.constant([split_tag(t)[1] for t in tags] + [""])
        self.is_outside = tf.constant([t == "O" for t in tags] + [True])

    def _tag_ids(self, tokens):
        """tokens: [B, T] strings padded with ''; returns int32 [B, T] tag ids, the mask, and the
        potentials [max(B, 1), max(T, 1), tags] with their mask (a padding row or step only
        where there was none, so that the CRF loops never run over an empty sequence)."""
        n_rows, n_time = tf.shape(tokens)[0], tf.shape(tokens)[1]
        # At least one row and one step: an empty batch (or batch of empty sentences) then
        # runs the same graph, and the padding row/step is cut off below. Only then: one
        # sentence stays one row, which the fused LSTM loop runs fastest.
        tokens1 = tf.pad(
            tokens,
            [
                [0, tf.cast(tf.equal(n_rows, 0), tf.int32)],
                [0, tf.cast(tf.equal(n_time, 0), tf.int32)],
            ],
            constant_values="",
        )
        keys = tf.strings.lower(tokens1, encoding="utf-8") if self.lowercase else tokens1
        words = self.word_table.lookup(keys)
        words = tf.where(tf.equal(tokens1, ""), 0, words)
        chars = tf.strings.unicode_split(tokens1, "UTF-8")[:, :, : self.max_word_length]
        char_ids = tf.ragged.map_flat_values(self.char_table.lookup, chars).to_tensor(0)
        char_ids = tf.pad(char_ids, [[0, 0], [0, 0], [0, 1]])
        casing = tf_casing_ids(tokens1)
        potentials = self.scorer([words, char_ids, casing], training=False)
        word_mask = tf.not_equal(words, 0)  # the mask the model's CRF / argmax receives
        if self.crf is not None:
            ids = self.crf(potentials, mask=word_mask)
        else:
            ids = tf.where(word_mask, tf.argmax(potentials, -1, output_type=tf.int32), 0)
        ids = tf.cast(ids, tf.int32)[:n_rows]
        parts = (potentials[:n_rows], ids, word_mask[:n_rows])
        return ids[:, :n_time], tf.not_equal(tokens, ""), parts

    def _chunks(self, ids, mask):
        """conlleval chunk starts/ends per position, the chunk type, and tags in the output scheme."""
        k = self.num_tags
        cur = tf.where(mask, ids, k)
        batch = tf.shape(cur)[0]
        boundary = tf.fill([batch, 1], k)
        prev = tf.concat([boundary, cur], axis=1)[:, :-1]
        nxt = tf.concat([cur, boundary], axis=1)[:, 1:]
        inside = tf.logical_not(tf.gather(self.is_outside, cur))
        is_start = tf.logical_and(
            tf.gather_nd(self.starts_table, tf.stack([prev, cur], -1)), inside
        )
        is_end = tf.logical_and(tf.gather_nd(self.ends_table, tf.stack([cur, nxt], -1)), inside)
        types = tf.gather(self.tag_types, cur)
        prev_types = tf.gather(self.tag_types, prev)
        prev_inside = tf.logical_not(tf.gather(self.is_outside, prev))
        if self.output_scheme == "iob2":
            prefix = tf.where(is_start, "B-", "I-")
        elif self.output_scheme == "iobes":
            prefix = tf.where(is_start, tf.where(is_end, "S-", "B-"), tf.where(is_end, "E-", "I-"))
        else:  # iob1: B- only where a chunk directly follows one of the same type
            follows = tf.logical_and(
                is_start, tf.logical_and(prev_inside, tf.equal(prev_types, types))
            )
            prefix = tf.where(follows, "B-", "I-")
        tags = tf.where(inside, tf.strings.join([prefix, types]), "O")
        tags = tf.where(mask, tags, "")
        return is_start, is_end, types, tags

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.string, name="tokens")])
    def tag_tokens(self, tokens):
        """Tag pre-tokenised sentences ([batch, time] strings, padded with '')."""
        ids, mask, _ = self._tag_ids(tokens)
        _, _, _, tags = self._chunks(ids, mask)
        return {"tags": tags}

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.string, name="tokens")])
    def tag_tokens_scored(self, tokens):
        """`tag_tokens` plus `tag_confidences`: each token's marginal probability of its tag
        (-1 at padding). A separate signature, so that the single-output `tag_tokens` keeps its
        REST answer format (a bare list of tag rows)."""
        ids, mask, (potentials, ids1, mask1) = self._tag_ids(tokens)
        _, _, _, tags = self._chunks(ids, mask)
        if self.crf is not None:
            marginals = self.crf.marginals(potentials, mask1)
        else:
            marginals = tf.nn.softmax(potentials) * tf.cast(mask1, potentials.dtype)[..., None]
        confidences = tf.gather(marginals, ids1, batch_dims=2)[:, : tf.shape(tokens)[1]]
        # -1 at padding, like the integer outputs (so that server-side batching trims it)
        confidences = tf.where(tf.not_equal(tokens, ""), confidences, -1.0)
        return {"tags": tags, "tag_confidences": confidences}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="sentences")])
    def serve(self, sentences):
        """Raw sentences -> tokens, per-token tags and entity spans (character offsets).

        Bytes that are not valid UTF-8 are read as U+FFFD (one per bad sequence), so offsets
        and entity texts stay defined (cutting an entity's text failed in `Substr`)."""
        sentences = tf.strings.unicode_transcode(
            sentences, "UTF-8", "UTF-8", errors="replace", replace_control_characters=False
        )
        tokens, starts, ends = tf_tokenize(sentences)
        dense = tokens.to_tensor("")
        ids, mask, (potentials, ids1, mask1) = self._tag_ids(dense)
        is_start, is_end, types, tags = self._chunks(ids, mask)
        tok_starts = starts.to_tensor(-1)
        tok_ends = ends.to_tensor(-1)
        start_idx = tf.where(is_start)  # [n, 2] (row, token), row-major
        end_idx = tf.where(is_end)
        rows = start_idx[:, 0]
        n_rows = tf.shape(sentences, out_type=tf.int64)[0]
        span_start = tf.gather_nd(tok_starts, start_idx)
        span_end = tf.gather_nd(tok_ends, end_idx)
        span_label = tf.gather_nd(types, start_idx)
        span_text = tf.strings.substr(
            tf.gather(sentences, rows), span_start, span_end - span_start, unit="UTF8_CHAR"
        )
        segments = tf.cast(tf.concat([start_idx, end_idx[:, 1:]], axis=1), tf.int32)
        span_conf = tf.exp(span_log_probs(self.crf, potentials, ids1, mask1, segments))

        def ragged(values, default):
            return tf.RaggedTensor.from_value_rowids(values, rows, nrows=n_rows).to_tensor(default)

        return {
            "tokens": dense,
            "token_starts": tok_starts,
            "token_ends": tok_ends,
            "tags": tags,
            "lengths": tf.cast(tokens.row_lengths(), tf.int32),
            "entity_starts": ragged(span_start, -1),
            "entity_ends": ragged(span_end, -1),
            "entity_labels": ragged(span_label, ""),
            "entity_texts": ragged(span_text, ""),
            "entity_confidences": ragged(span_conf, -1.0),
            "entity_counts": tf.cast(
                tf.math.bincount(tf.cast(rows, tf.int32), minlength=tf.cast(n_rows, tf.int32)),
                tf.int32,
            ),
        }


# ==================================================================== helpers
#: One encoded sentence: word ids, character ids, casing ids, tag ids.
_SENTENCE_SPEC = (
    tf.TensorSpec((None,), tf.int32),
    tf.TensorSpec((None, None), tf.int32),
    tf.TensorSpec((None,), tf.int32),
    tf.TensorSpec((None,), tf.int32),
)


def _non_empty(x, y):
    keep = [i for i, s in enumerate(x) if s]
    return [x[i] for i in keep], [y[i] for i in keep]


# ==================================================================== sample data and recipes
# Both moved: `nlpkit.data.samples.write_sample_conll` (imported above) and
# `nlpkit.recipes.ner.run_recipe`; these names keep working.
def run_recipe(recipe: dict, recipe_path: Path | None = None) -> dict:
    """Moved to `nlpkit.recipes.ner.run_recipe`; this name keeps working."""
    from nlpkit.recipes.ner import run_recipe as run

    return run(recipe, recipe_path)
