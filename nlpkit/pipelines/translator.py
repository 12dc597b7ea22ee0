"""`Translator`: neural machine translation with attention (an RNN encoder-decoder).

The model follows Luong, Pham & Manning (2015) with either scoring function: a bidirectional
recurrent encoder (`RecurrentStack`), a recurrent decoder whose output `h_t` queries the encoder
states through Bahdanau (additive, Bahdanau et al. 2015) or Luong (dot/general/concat) attention,
an attentional state `h~_t = W_c [c_t; h_t]` that predicts the next token and is fed back into
the next decoder step ("input feeding"). The attentional layer is linear, as in TensorFlow's
`AttentionWrapper` (GNMT), not Luong's `tanh(W_c [c_t; h_t])`: with the tanh, Adam saturated
almost every unit within ~150 steps on Multi30k and training stalled at the unigram entropy. Training uses teacher forcing, dropout and optional
label smoothing; decoding is greedy or beam search with a GNMT length penalty (Wu et al. 2016),
stopping at end-of-sequence or at `max_length`.

Tokenisation, vocabulary lookup, decoding and detokenisation are TensorFlow ops, so `export()`
writes a SavedModel whose `translate` signature takes raw strings and returns translated strings,
beam search included (a `tf.while_loop`), with the attention weights of each translation. The
default level is 'subword': a SentencePiece model (unigram or BPE, Kudo & Richardson 2018) per
language, trained on the training text by `sentencepiece` and applied in the graph by
`tensorflow-text`, so text keeps its case and the output is detokenised text; 'word' (words,
punctuation split off and rejoined on output) and 'char' levels remain.

The network (`Seq2Seq`) lives in `nlpkit.models.seq2seq`; this module holds the pipeline.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nlpkit.data.parallel import parallel_files
from nlpkit.data.streaming import (
    DEFAULT_SHUFFLE_BUFFER,
    CappedCounter,
    files_dataset,
    length_buckets,
    shuffled,
    unbatched,
    worker_shard,
)
from nlpkit.decoding import BeamSearch, Decoder, GreedySearch, tile_beams  # noqa: F401
from nlpkit.decoding.legacy import StepFn, beam_search, greedy_search  # noqa: F401 (re-exported)
from nlpkit.errors import IntegrityError, MissingDependencyError
from nlpkit.layers.luong_attention import SCORES
from nlpkit.layers.recurrent_stack import CELLS
from nlpkit.models.seq2seq import Seq2Seq
from nlpkit.pipelines.base import Pipeline, check_rows
from nlpkit.pipelines.training import set_seed
from nlpkit.text.special_ids import BOS_ID, EOS_ID, PAD_ID, UNK_ID  # noqa: F401 (re-exported)
from nlpkit.text.subword import STREAM_SENTENCES, SUBWORD_MODELS, SubwordVocabulary
from nlpkit.text.token_vocabulary import (
    BOS,
    EOS,
    PAD,
    SPECIAL_TOKENS,
    UNK,
    TokenVocabulary,
    detokenize_words,
    split_tokens,
)
from nlpkit.training import Trainer, check_training_settings
from nlpkit.utils.files import (
    hash_strings,
    load_keras_weights,
    read_json,
    read_vocabulary,
    write_json,
    write_vocabulary,
)
from nlpkit.utils.inference import cached_function
from nlpkit.utils.validation import (
    MAX_BEAM_WIDTH,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_same_length,
    check_seed,
    check_texts,
)

__all__ = ["Translator", "beam_search", "greedy_search", "run_recipe", "PAD", "UNK", "BOS", "EOS"]

SPECIALS = SPECIAL_TOKENS
_SOURCE_VOCAB, _TARGET_VOCAB = "source_vocabulary.txt", "target_vocabulary.txt"
# A blank source: the same set of characters in Python and in the graph (RE2's \s).
_BLANK_RE2 = r"[\t\n\f\r ]*"
_BLANK = re.compile(_BLANK_RE2)
ATTENTIONS = ("bahdanau", "luong")
LEVELS = ("subword", "word", "char")
_SPM_FILES = ("source.spm.model", "target.spm.model")
# Ids the decoder never emits: padding, unknown and start (outputs never contain `[UNK]`).
_BANNED_OUTPUT_IDS = (PAD_ID, UNK_ID, BOS_ID)
_NEG = -1e9


# --------------------------------------------------------------------------- text <-> ids
# The vocabulary and the tokenizer live in nlpkit.text.token_vocabulary; the old private names
# stay for code that imported them.
_tokenize = split_tokens
_Vocabulary = TokenVocabulary
_build_vocabulary = TokenVocabulary.build
# The network moved to nlpkit.models.seq2seq; the old private name stays for code that used it.
_Seq2Seq = Seq2Seq


# --------------------------------------------------------------------------- optimizer
@keras.saving.register_keras_serializable(package="nlpkit")
class _FusedAdam(keras.optimizers.Adam):
    """Keras `Adam` whose update of one variable is TensorFlow's fused `ResourceApplyAdam`
    kernel (one pass over the variable and its two slots) instead of about ten elementwise
    ops, each a pass over memory: the same formula in the same order of operations
    (`m += (g - m)(1 - b1)`, `v += (g^2 - v)(1 - b2)`, `var -= m * alpha / (sqrt(v) + eps)`,
    `alpha = lr sqrt(1 - b2^t) / (1 - b1^t)`). The values differ from Keras's by float32
    rounding only: the kernel computes `1 - b2` in float32 (1.3e-5 relative off 0.001),
    Keras in double. The slots are Adam's own variables (checkpoints are unchanged). Falls back to Keras's update under
    a `tf.distribute` strategy, with AMSGrad and for other dtypes than float32 (issue 14)."""

    def __init__(self, *args, name: str = "adam", **kwargs):
        super().__init__(*args, name=name, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        if (
            self.amsgrad
            or tf.distribute.has_strategy()
            or keras.backend.backend() != "tensorflow"
            or variable.dtype != "float32"
        ):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        local_step = tf.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        handle = variable.value.handle if isinstance(variable, keras.Variable) else variable.handle
        tf.raw_ops.ResourceApplyAdam(
            var=handle,
            m=m.value.handle,
            v=v.value.handle,
            beta1_power=tf.pow(tf.cast(self.beta_1, dtype), local_step),
            beta2_power=tf.pow(tf.cast(self.beta_2, dtype), local_step),
            lr=tf.cast(learning_rate, dtype),
            beta1=tf.cast(self.beta_1, dtype),
            beta2=tf.cast(self.beta_2, dtype),
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.convert_to_tensor(tf.cast(gradient, dtype)),
        )


# --------------------------------------------------------------------------- the pipeline
class Translator(Pipeline):
    """Neural machine translation with attention (encoder-decoder RNN), on the pipeline contract.

    Args:
        level: 'subword' (SentencePiece pieces trained on the training text, one model per
            language; needs `pip install "nlpkit[translation]"`), 'word' (words, punctuation
            split off) or 'char' (characters, e.g. dates).
        lowercase: Lowercase source and target text before tokenising (default False: case is
            kept).
        vocab_size: 'subword' level: SentencePiece vocabulary size per language, special ids
            included (a soft limit: a small text stops earlier). Other levels use
            `max_vocab_size` / `min_count`.
        subword_model: 'subword' level: 'unigram' (Kudo 2018) or 'bpe' (Sennrich et al. 2016).
        detokenize: Write output as text (default): pieces joined back into words, and at word
            level punctuation attached again ("hut ." -> "hut."). False writes the tokens
            separated by spaces.
        embedding_dim: Size of the token embeddings.
        hidden_size: Encoder units per direction; the decoder has `hidden_size * 2` units when
            `bidirectional` (so that 'dot' attention applies), else `hidden_size`.
        num_layers: Encoder and decoder depth.
        cell: 'rnn', 'gru' or 'lstm'.
        bidirectional: Bidirectional encoder.
        attention_type: 'bahdanau' (additive) or 'luong'.
        attention_score: Luong score: 'dot', 'general' or 'concat' (ignored for 'bahdanau').
        dropout: Dropout on the encoder's input and between its layers, on the target
            embeddings and before the output layer.
        label_smoothing: Label smoothing of the training targets (0 disables it).
        max_vocab_size: Keep at most this many tokens per vocabulary (None: all).
        min_count: Drop tokens seen fewer times (they map to the unknown token).
        beam_width: Default beam width of `predict`, `evaluate` and the export (1 = greedy).
        length_penalty: GNMT length-penalty alpha for beam search (0 disables it).
        max_length: Maximum output tokens; None sets it in `fit` to 1.5 x the longest training
            target + 5.
        batch_size: Training and prediction batch size.
        learning_rate: Adam learning rate.
        clipnorm: Gradient-norm clipping (None disables it).
        early_stopping: Patience on validation loss when `validation_data` is given (None: off).
        seed: Seed for a repeatable CPU run.
        verbose: Keras progress display: 'auto', 0, 1 or 2.
        shuffle_buffer: Sentence pairs held by the shuffle buffer when `fit` streams parallel
            text files or a `tf.data.Dataset` (in-memory lists are shuffled whole).
        distribution: None (one device, Keras `fit`), 'mirrored', 'multi_worker' or a
            `tf.distribute.Strategy` (see docs/training.md; None in `get_config` if an instance).
        checkpoint_dir: Folder for resumable checkpoints (`fit` again resumes after a kill).
        checkpoint_every: Steps between checkpoints (one is also written at each epoch end).
        max_minutes: Training time budget; training ends cleanly, best weights kept.
        max_steps: Optimizer step budget; training ends cleanly, best weights kept.
        log_dir: TensorBoard folder (loss, metrics, learning rate, examples/s).

    Raises:
        ValueError / TypeError: An option is out of range or of the wrong type (checked here);
            inputs are checked by `fit` / `predict` / `evaluate`.

    Example:
        >>> from nlpkit.data.dates import generate_dates
        >>> human, iso = generate_dates(200, seed=0)
        >>> tr = Translator(level="char", hidden_size=16, seed=0, verbose=0)
        >>> tr = tr.fit(human, iso, epochs=1)
        >>> len(tr.predict(["3 May 2001"]))
        1
    """

    export_name = "translator"

    def __init__(
        self,
        level: str = "subword",
        lowercase: bool = False,
        vocab_size: int = 8000,
        subword_model: str = "unigram",
        detokenize: bool = True,
        embedding_dim: int = 64,
        hidden_size: int = 128,
        num_layers: int = 1,
        cell: str = "lstm",
        bidirectional: bool = True,
        attention_type: str = "bahdanau",
        attention_score: str = "general",
        dropout: float = 0.1,
        label_smoothing: float = 0.0,
        max_vocab_size: int | None = None,
        min_count: int = 1,
        beam_width: int = 5,
        length_penalty: float = 0.0,
        max_length: int | None = None,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        clipnorm: float | None = 5.0,
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
        self.level = check_choice("level", level, LEVELS)
        self.lowercase = check_bool("lowercase", lowercase)
        self.vocab_size = check_int("vocab_size", vocab_size, len(SPECIALS) + 1)
        self.subword_model = check_choice("subword_model", subword_model, SUBWORD_MODELS)
        self.detokenize = check_bool("detokenize", detokenize)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, 1)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        self.num_layers = check_int("num_layers", num_layers, 1)
        self.cell = check_choice("cell", cell, CELLS)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        self.attention_type = check_choice("attention_type", attention_type, ATTENTIONS)
        self.attention_score = check_choice("attention_score", attention_score, SCORES)
        self.dropout = check_float("dropout", dropout, 0.0, 1.0, high_inclusive=False)
        self.label_smoothing = check_float(
            "label_smoothing", label_smoothing, 0.0, 1.0, high_inclusive=False
        )
        self.max_vocab_size = check_int(
            "max_vocab_size", max_vocab_size, len(SPECIALS) + 1, allow_none=True
        )
        self.min_count = check_int("min_count", min_count, 1)
        self.beam_width = check_int("beam_width", beam_width, 1, maximum=MAX_BEAM_WIDTH)
        self.length_penalty = check_float("length_penalty", length_penalty, 0.0)
        self.max_length = check_int("max_length", max_length, 1, allow_none=True)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, low_inclusive=False)
        self.clipnorm = check_float("clipnorm", clipnorm, 0.0, low_inclusive=False, allow_none=True)
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

    # ------------------------------------------------------------------ inputs
    @staticmethod
    def _from_dataset(ds: tf.data.Dataset) -> tuple[list[str], list[str]]:
        sources: list[str] = []
        targets: list[str] = []
        for element in ds.as_numpy_iterator():
            if not (isinstance(element, tuple) and len(element) == 2):
                raise ValueError(
                    "A tf.data.Dataset passed to Translator must yield (source, target) string "
                    f"pairs. Received an element of type {type(element).__name__}."
                )
            a, b = element
            if np.ndim(a) == 0:
                sources.append(a.decode("utf-8") if isinstance(a, bytes) else str(a))
                targets.append(b.decode("utf-8") if isinstance(b, bytes) else str(b))
            else:
                sources.extend(s.decode("utf-8") for s in np.asarray(a).tolist())
                targets.extend(t.decode("utf-8") for t in np.asarray(b).tolist())
        return sources, targets

    def _pairs(self, x, y, xname: str = "x", yname: str = "y") -> tuple[list[str], list[str]]:
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError(
                    f"`{yname}` must be None when `{xname}` is a tf.data.Dataset of pairs."
                )
            sources, targets = self._from_dataset(x)
        else:
            if y is None:
                raise ValueError(
                    f"`{yname}` (the target sentences) is required when `{xname}` is a list of "
                    "source sentences."
                )
            sources, targets = check_texts(xname, x), check_texts(yname, y)
        check_same_length(xname, sources, yname, targets)
        if not sources:
            raise ValueError(f"`{xname}` is empty: at least one sentence pair is needed.")
        return sources, targets

    def _token_lists(self, texts: list[str], side: str = "source") -> list[list[str]]:
        """The tokens of `texts` as the model sees them (pieces at the subword level)."""
        if self.level == "subword":
            vocab = self.source_subwords_ if side == "source" else self.target_subwords_
            if self.lowercase:
                texts = [t.lower() for t in texts]
            return vocab.token_lists(texts)
        ragged = _tokenize(tf.constant(texts, tf.string), self.level, self.lowercase)
        return [[t.decode("utf-8") for t in toks] for toks in ragged.to_list()]

    # ------------------------------------------------------------------ graph helpers
    def _encode(self, texts: tf.Tensor, side: str) -> tf.RaggedTensor:
        """`(B,)` strings -> ragged int32 ids of the source or target vocabulary, in the graph."""
        if self.level == "subword":
            if self.lowercase:
                texts = tf.strings.lower(texts, encoding="utf-8")
            vocab = self.source_subwords_ if side == "source" else self.target_subwords_
            return vocab.tokenize(texts)
        table = self._src_vocab if side == "source" else self._tgt_vocab
        return table.lookup(_tokenize(texts, self.level, self.lowercase))

    def _source_tokens(self, texts: tf.Tensor) -> tf.Tensor:
        """`(B, S)` source token strings aligned with `_source_ids` (`""` where padded)."""
        if self.level == "subword":
            tokens = self.source_subwords_.pieces(self._encode(texts, "source")).to_tensor("")
        else:
            tokens = _tokenize(texts, self.level, self.lowercase).to_tensor("")
        return tf.pad(tokens, [[0, 0], [0, tf.maximum(0, 1 - tf.shape(tokens)[1])]])

    def _source_ids(self, texts: tf.Tensor) -> tf.Tensor:
        ids = self._encode(texts, "source").to_tensor(PAD_ID)
        return tf.pad(ids, [[0, 0], [0, tf.maximum(0, 1 - tf.shape(ids)[1])]])

    def _target_ids(self, texts: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        ids = self._encode(texts, "target")
        n = ids.nrows()
        bos = tf.fill([n, 1], BOS_ID)
        eos = tf.fill([n, 1], EOS_ID)
        t_in = tf.concat([bos, ids], axis=1).to_tensor(PAD_ID)
        t_out = tf.concat([ids, eos], axis=1).to_tensor(PAD_ID)
        return t_in, t_out

    def _ids_to_text(self, ids: tf.Tensor) -> tf.Tensor:
        """(B, T) ids -> (B,) strings: tokens before the first EOS, joined."""
        is_eos = tf.equal(ids, EOS_ID)
        before_eos = tf.equal(tf.cumsum(tf.cast(is_eos, tf.int32), axis=1), 0)
        keep = tf.logical_and(before_eos, ids > EOS_ID)
        kept = tf.ragged.boolean_mask(ids, keep)
        if self.level == "subword" and self.detokenize:
            return self.target_subwords_.detokenize(kept)
        words = tf.gather(tf.constant(self.target_vocabulary_), kept)
        text = tf.strings.reduce_join(words, axis=-1, separator="" if self.level == "char" else " ")
        if self.level == "word" and self.detokenize:
            text = detokenize_words(text)
        return text

    def _decoding(self, beam_width: int, length_penalty: float) -> Decoder:
        """The decoding strategy: greedy search for width 1, else beam search (which stops once
        every sentence's best hypothesis is settled: only the best is used here)."""
        if beam_width == 1:
            return GreedySearch()
        return BeamSearch(beam_width, length_penalty, stop_early=self._fast_decoding)

    # Speed switches of the decoding path (issue 14); False restores the code path before it,
    # for side-by-side benchmarks (benchmarks/speed.py). Results are the same.
    _fast_decoding = True

    def _decode_ids(self, texts, decoder: Decoder, max_length: int):
        """Encode `texts` and decode with `decoder` (a `nlpkit.decoding` strategy).

        The step function keeps, beside the model's state, whether its row has been fed the
        end token: such a row has ended (greedy and beam search ignore its later logits; beam
        search with `stop_early` also feeds the end token to every hypothesis of a sentence
        whose best is settled), so only the rows still running are projected onto the
        vocabulary (the largest matmul of a step); the ended rows get logits of 0.
        """
        model = self.model_
        source = self._source_ids(texts)
        memory, mask, state = model.encode(source)
        memory_rows, mask_rows = decoder.expand(memory), decoder.expand(mask)
        keys_rows = model.attention_keys(memory_rows)  # once, not at every step
        weights = model.step_weights()
        banned = tf.scatter_nd(  # never emit padding, [UNK] or <s>
            [[i] for i in _BANNED_OUTPUT_IDS],
            tf.fill([len(_BANNED_OUTPUT_IDS)], tf.constant(_NEG, tf.float32)),
            [len(self.target_vocabulary_)],
        )
        start = tf.fill([tf.shape(source)[0]], tf.constant(BOS_ID, tf.int32))
        if not self._fast_decoding:

            def step(tokens, st, index):
                logits, st, attn = model.step_logits(
                    tokens, st, memory_rows, mask_rows, keys_rows, weights
                )
                return logits + banned, st, attn

            return decoder(step, state, start, max_length=max_length, end_id=EOS_ID, pad_id=PAD_ID)

        def live_step(tokens, st, index):
            st, ended = st
            ended = tf.logical_or(ended, tf.equal(tokens, EOS_ID))
            emb = model.target_embedding(tokens)
            feed, st, attn = model.step_embedded(
                emb, st, memory_rows, mask_rows, keys_rows, weights
            )
            live = tf.where(tf.logical_not(ended))
            logits = tf.scatter_nd(
                live,
                tf.nn.bias_add(tf.matmul(tf.gather_nd(feed, live), kernel), bias_banned),
                [tf.shape(feed, out_type=tf.int64)[0], model.target_vocab_size],
            )
            return logits, (st, ended), attn

        # The banned ids' -1e9 goes into the projection's bias (once, not a pass over the
        # logits at every step); the other ids' logits are unchanged (their bias + 0).
        kernel = tf.convert_to_tensor(model.projection.kernel)
        bias_banned = tf.convert_to_tensor(model.projection.bias) + banned

        state = (state, tf.zeros([tf.shape(source)[0]], tf.bool))
        return decoder(live_step, state, start, max_length=max_length, end_id=EOS_ID, pad_id=PAD_ID)

    def _translate_graph(self, texts, beam_width: int, length_penalty: float, max_length: int):
        out = self._decode_ids(texts, self._decoding(beam_width, length_penalty), max_length)
        return self._ids_to_text(out.tokens), out.scores

    def _alignment_graph(self, texts, tokens):
        """Attention weights of the given output `tokens` (`(B, T)` ids as the decoder returns
        them, EOS included, padding after it), recomputed by one teacher-forced pass.

        Returns:
            `(weights (B, T, S), source_tokens (B, S), target_tokens (B, T))`: rows past a
            translation's `</s>` and columns past its source are 0 (tokens `""`).
        """
        model = self.model_
        memory, mask, state = model.encode(self._source_ids(texts))
        rows = tf.shape(tokens)[0]
        target_in = tf.concat([tf.fill([rows, 1], BOS_ID), tokens[:, :-1]], axis=1)
        _, weights = model.decode_teacher_forced(memory, mask, state, target_in)
        valid = tf.cast(tf.not_equal(tokens, PAD_ID), weights.dtype)
        weights = weights * valid[:, :, None]
        target_tokens = tf.gather(tf.constant(self.target_vocabulary_), tokens)
        return weights, self._source_tokens(texts), target_tokens

    def _decoder(self, beam_width: int, length_penalty: float, max_length: int):
        key = (beam_width, float(length_penalty), max_length)
        # one dict of traced decoders per model object: a replaced model never reuses a trace
        cache = cached_function(self, "_decoders_by_model", (self.model_,), dict)
        if (key, self._fast_decoding) not in cache:
            cache[key, self._fast_decoding] = tf.function(
                lambda t: self._translate_graph(t, *key),
                input_signature=[tf.TensorSpec([None], tf.string)],
                autograph=False,  # explicit tf.while_loops; no Python control flow on tensors
            )
        return cache[key, self._fast_decoding]

    def _attention_graph(self, texts, max_length: int):
        out = self._decode_ids(texts, GreedySearch(), max_length)
        return out.tokens, out.aux

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        x,
        y=None,
        *,
        validation_data=None,
        epochs: int = 10,
        callbacks: list | None = None,
    ) -> Translator:
        """Build vocabularies and train with teacher forcing.

        Args:
            x: Source sentences (list of strings); or parallel text files, streamed (plain or
                `.gz`): the source file(s) with the target file(s) as `y` (a path, a glob or a
                list of `pathlib.Path`s each; globs pair files in sorted order), a list of
                `(source file, target file)` pairs, or TSV files of `source<TAB>target` lines
                (`y` None); or a `tf.data.Dataset` of (source, target) string pairs (batched
                or not; `y` None), also streamed. Streamed data is read for the vocabularies
                (word and character counts capped in memory; SentencePiece trains on at most
                `nlpkit.text.subword.STREAM_SENTENCES` sentences per language, reading the
                stream once per language), once more for the sizes, then once per epoch
                through a bounded shuffle buffer (`shuffle_buffer`) into length buckets.
            y: Target sentences aligned with `x`, or the target files.
            validation_data: `(sources, targets)`, a `(source file, target file)` pair, TSV
                files or a dataset of pairs (read into memory); enables early stopping.
            epochs: Training epochs.
            callbacks: Extra Keras callbacks.

        Returns:
            self.

        Raises:
            ValueError / TypeError: Malformed inputs (lengths differ, not strings, empty).
            DataFormatError: A streamed file cannot be decoded, a TSV line has no tab, or
                paired files differ in length (the message names the file and line).
        """
        epochs = check_int("epochs", epochs, 1)
        trainer = Trainer.from_pipeline(self)
        trainer.strategy  # noqa: B018  (created before the model, as TensorFlow requires)
        stream = self._stream(x, y, "x", trainer.strategy)
        if stream is not None:
            return self._fit_stream(stream, validation_data, epochs, callbacks, trainer)
        sources, targets = self._pairs(x, y)
        val = self._validation_pairs(validation_data)
        set_seed(self.seed)
        self._build_vocabularies(sources, targets)
        tgt_tokens = self._token_lists(targets, "target")
        longest = max(len(t) for t in tgt_tokens)
        self.max_length_ = self.max_length or int(math.ceil(1.5 * longest)) + 5
        self.model_ = None
        with trainer.scope():
            model = self._build_model()
        train_ds = self._dataset(sources, targets, shuffle=True)
        val_ds = self._dataset(*val, shuffle=False) if val is not None else None
        self._fit_model(model, train_ds, val_ds, epochs, callbacks, trainer)
        self.__dict__.pop("_decoders", None)
        metrics = {k: vals[-1] for k, vals in self.history_.items()}
        self.card_ = {
            "task": "translation",
            "metrics": metrics,
            "data_hash": hash_strings(s + "\t" + t for s, t in zip(sources, targets, strict=True)),
            "train_pairs": len(sources),
            "epochs_run": len(next(iter(self.history_.values()), [])),
            "source_vocab_size": len(self.source_vocabulary_),
            "target_vocab_size": len(self.target_vocabulary_),
            "seed": self.seed,
        }
        return self

    def _validation_pairs(self, validation_data) -> tuple[list[str], list[str]] | None:
        """Validation pairs in memory from any form `fit` accepts for them."""
        if validation_data is None:
            return None
        if isinstance(validation_data, tf.data.Dataset):
            return self._pairs(validation_data, None, "validation_data", "validation_data")
        files = None
        if isinstance(validation_data, (tuple, list)) and len(validation_data) == 2:
            files = parallel_files(*validation_data, "validation_data")
        if files is None:
            files = parallel_files(validation_data, None, "validation_data")
        if files is not None:
            from nlpkit.data.parallel import iter_parallel

            pairs = [p for src, tgt in files for p in iter_parallel(src, tgt)]
            return self._pairs(
                [p[0] for p in pairs], [p[1] for p in pairs], "validation_data", "validation_data"
            )
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise ValueError(
                "`validation_data` must be a (sources, targets) pair, parallel text files or a "
                f"tf.data.Dataset. Received: {type(validation_data).__name__}"
            )
        return self._pairs(*validation_data, "validation_data[0]", "validation_data[1]")

    # ------------------------------------------------------------------ streamed input
    def _stream(self, x, y, name: str, strategy=None):
        """For parallel text files or a `tf.data.Dataset`: `(raw, make_ds)`: `raw()` iterates
        the `(source, target)` pairs in Python (the vocabulary passes; a malformed file raises
        there, named with its line), `make_ds(sharded=True)` returns them as an unbatched
        tf.data stream of string pairs (this worker's share of the files when sharded). None
        for in-memory input."""
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError(f"`y` must be None when `{name}` is a tf.data.Dataset of pairs.")
            spec = x.element_spec
            if not (
                isinstance(spec, tuple)
                and len(spec) == 2
                and all(isinstance(v, tf.TensorSpec) and v.dtype == tf.string for v in spec)
            ):
                raise ValueError(
                    "A tf.data.Dataset passed to Translator must yield (source, target) string "
                    f"pairs. Received elements with spec: {spec}"
                )
            ds = unbatched(x, 0)

            def raw_ds():
                for a, b in ds.as_numpy_iterator():
                    yield a.decode("utf-8"), b.decode("utf-8")

            return raw_ds, (lambda sharded=True: ds)
        files = parallel_files(x, y, name)
        if files is None:
            return None
        from nlpkit.data.parallel import iter_parallel

        def raw():
            for src, tgt in files:
                yield from iter_parallel(src, tgt)

        # files_dataset names each item by one string: a pair travels as "source\ntarget".
        keys = [src if tgt is None else f"{src}\n{tgt}" for src, tgt in files]

        def read(key: str):
            src, _, tgt = key.partition("\n")
            yield from iter_parallel(src, tgt or None)

        sig = (tf.TensorSpec((), tf.string), tf.TensorSpec((), tf.string))
        shard = worker_shard(strategy)
        # Sharded for training; the vocabulary passes read every file (`sharded=False`), so
        # that all workers build the same vocabularies.
        return raw, (
            lambda sharded=True: files_dataset(keys, read, sig, shard=shard if sharded else None)
        )

    def _stream_sizes(self, raw, count_tokens: bool):
        """One pass over the pairs: their number, hash, the longest target and pair (in
        tokens), and with `count_tokens` the token counts of each side (word and char levels;
        capped in memory). Subword vocabularies must be set before (they measure lengths)."""
        import hashlib

        cap = max(20 * (self.max_vocab_size or 0), 1_000_000)
        counts = (CappedCounter(cap), CappedCounter(cap))
        digest = hashlib.sha256()
        n = longest_target = longest_pair = 0
        batch: list[tuple[str, str]] = []

        def flush():
            nonlocal longest_target, longest_pair
            src = tf.constant([p[0] for p in batch], tf.string)
            tgt = tf.constant([p[1] for p in batch], tf.string)
            if count_tokens:
                sides = (
                    _tokenize(src, self.level, self.lowercase),
                    _tokenize(tgt, self.level, self.lowercase),
                )
                for counter, tokens in zip(counts, sides, strict=True):
                    flat = tokens.flat_values.numpy()
                    if flat.size:
                        uniq, c = np.unique(flat, return_counts=True)
                        counter.add_counts(uniq.tolist(), c.tolist())
            else:
                sides = (self._encode(src, "source"), self._encode(tgt, "target"))
            src_len = sides[0].row_lengths().numpy()
            tgt_len = sides[1].row_lengths().numpy()
            longest_target = max(longest_target, int(tgt_len.max()))
            longest_pair = max(longest_pair, int((src_len + tgt_len).max()) + 1)
            batch.clear()

        for src, tgt in raw():
            digest.update((src + "\t" + tgt).encode("utf-8") + b"\x00")  # as hash_strings
            n += 1
            batch.append((src, tgt))
            if len(batch) == 1024:
                flush()
        if batch:
            flush()
        if not n:
            raise ValueError("`x` is empty: at least one sentence pair is needed.")
        return n, digest.hexdigest()[:16], longest_target, longest_pair, counts

    def _counted_vocabulary(self, counter: CappedCounter) -> list[str]:
        """`_build_vocabulary` from streamed counts (the same order and cut)."""
        items = sorted(
            (
                (k.decode("utf-8"), c)
                for k, c in counter.items()
                if c >= self.min_count and k.decode("utf-8") not in SPECIALS
            ),
            key=lambda tc: (-tc[1], tc[0]),
        )
        if self.max_vocab_size is not None:
            items = items[: max(0, self.max_vocab_size - len(SPECIALS))]
        return list(SPECIALS) + [t for t, _ in items]

    def _fit_stream(self, stream, validation_data, epochs, callbacks, trainer) -> Translator:
        """`fit` on parallel text files or a dataset: see `fit`."""
        raw, make_ds = stream
        # Length buckets vary the number of batches per epoch: the engine's own loop reads each
        # epoch to its end (Keras `fit` would truncate later epochs to the first one's count).
        trainer.loop = "custom"
        val = self._validation_pairs(validation_data)
        set_seed(self.seed)
        if self.level == "subword":

            def side(i):
                def sentences():
                    for pair in raw():
                        yield pair[i].lower() if self.lowercase else pair[i]

                return sentences

            options = dict(
                vocab_size=self.vocab_size,
                model_type=self.subword_model,
                max_sentences=STREAM_SENTENCES,
            )
            self.source_subwords_ = SubwordVocabulary.train_stream(side(0), **options)
            self.target_subwords_ = SubwordVocabulary.train_stream(side(1), **options)
            self.source_vocabulary_ = self.source_subwords_.tokens
            self.target_vocabulary_ = self.target_subwords_.tokens
            self._make_tables()
            n, data_hash, longest, longest_pair, _ = self._stream_sizes(raw, False)
        else:
            n, data_hash, longest, longest_pair, counts = self._stream_sizes(raw, True)
            self.source_subwords_ = self.target_subwords_ = None
            self.source_vocabulary_ = self._counted_vocabulary(counts[0])
            self.target_vocabulary_ = self._counted_vocabulary(counts[1])
            self._make_tables()
        self.max_length_ = self.max_length or int(math.ceil(1.5 * longest)) + 5
        self.model_ = None
        with trainer.scope():
            model = self._build_model()
        bounds = length_buckets(longest_pair + 1)

        def encode(src, tgt):
            s = self._encode(tf.reshape(src, [1]), "source")[0]
            t = self._encode(tf.reshape(tgt, [1]), "target")[0]
            t_in = tf.concat([tf.constant([BOS_ID], t.dtype), t], 0)
            t_out = tf.concat([t, tf.constant([EOS_ID], t.dtype)], 0)
            return s, t_in, t_out

        def train_data(epoch):
            ds = shuffled(make_ds(), self.shuffle_buffer, self.seed, epoch)
            ds = ds.map(encode, num_parallel_calls=tf.data.AUTOTUNE)
            ds = ds.bucket_by_sequence_length(
                lambda s, i, o: tf.shape(s)[0] + tf.shape(o)[0],
                bucket_boundaries=bounds,
                bucket_batch_sizes=[self.batch_size] * (len(bounds) + 1),
                padding_values=(PAD_ID, PAD_ID, PAD_ID),
            )
            return ds.map(lambda s, i, o: ((s, i), o)).prefetch(tf.data.AUTOTUNE)

        val_ds = self._dataset(*val, shuffle=False) if val is not None else None
        self._fit_model(model, train_data, val_ds, epochs, callbacks, trainer)
        self.__dict__.pop("_decoders", None)
        metrics = {k: vals[-1] for k, vals in self.history_.items()}
        self.card_ = {
            "task": "translation",
            "metrics": metrics,
            "data_hash": data_hash,
            "train_data": "streamed",
            "train_pairs": n,
            "epochs_run": len(next(iter(self.history_.values()), [])),
            "source_vocab_size": len(self.source_vocabulary_),
            "target_vocab_size": len(self.target_vocabulary_),
            "seed": self.seed,
        }
        return self

    def _build_vocabularies(self, sources: list[str], targets: list[str]) -> None:
        """Learn the source and target vocabularies (SentencePiece models at the subword level)."""
        if self.level == "subword":
            if self.lowercase:
                sources, targets = [t.lower() for t in sources], [t.lower() for t in targets]
            options = dict(vocab_size=self.vocab_size, model_type=self.subword_model)
            self.source_subwords_ = SubwordVocabulary.train(sources, **options)
            self.target_subwords_ = SubwordVocabulary.train(targets, **options)
            self.source_vocabulary_ = self.source_subwords_.tokens
            self.target_vocabulary_ = self.target_subwords_.tokens
        else:
            self.source_subwords_ = self.target_subwords_ = None
            src_tokens, tgt_tokens = self._token_lists(sources), self._token_lists(targets)
            size, count = self.max_vocab_size, self.min_count
            self.source_vocabulary_ = _build_vocabulary(src_tokens, size, count)
            self.target_vocabulary_ = _build_vocabulary(tgt_tokens, size, count)
        self._make_tables()

    def _make_tables(self) -> None:
        if self.level == "subword":  # the SentencePiece models map text to ids themselves
            self._src_vocab = self._tgt_vocab = None
            return
        self._src_vocab = _Vocabulary(self.source_vocabulary_)
        self._tgt_vocab = _Vocabulary(self.target_vocabulary_)

    def _build_model(self, compile: bool = True) -> Seq2Seq:
        model = Seq2Seq(
            len(self.source_vocabulary_),
            len(self.target_vocabulary_),
            embedding_dim=self.embedding_dim,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            cell=self.cell,
            bidirectional=self.bidirectional,
            attention=self.attention_type,
            attention_score=self.attention_score,
            dropout=self.dropout,
            label_smoothing=self.label_smoothing,
            name="seq2seq",
        )
        if compile:
            optimizer = _FusedAdam(self.learning_rate, clipnorm=self.clipnorm)
            model.compile(optimizer=optimizer, jit_compile=False)
        return model

    def _dataset(self, sources: list[str], targets: list[str], shuffle: bool) -> tf.data.Dataset:
        src = self._encode(tf.constant(sources, tf.string), "source")
        tgt = self._encode(tf.constant(targets, tf.string), "target")
        n = len(sources)
        t_in = tf.concat([tf.fill([n, 1], BOS_ID), tgt], axis=1)
        t_out = tf.concat([tgt, tf.fill([n, 1], EOS_ID)], axis=1)
        ds = tf.data.Dataset.from_tensor_slices((src, t_in, t_out))
        if shuffle:
            ds = ds.shuffle(n, seed=self.seed, reshuffle_each_iteration=True)
        ds = ds.map(lambda s, i, o: (s, i, o))  # rank-1 ragged rows -> dense tensors
        lengths = sorted(int(v) for v in (src.row_lengths() + t_out.row_lengths()).numpy())
        if shuffle and len(lengths) >= 8 * self.batch_size:
            # Batches of similar lengths waste less work on padding: bucket by length
            # (boundaries at the length octiles of this data).
            bounds = sorted({lengths[len(lengths) * q // 8] + 1 for q in range(1, 8)})
            ds = ds.bucket_by_sequence_length(
                lambda s, i, o: tf.shape(s)[0] + tf.shape(o)[0],
                bucket_boundaries=bounds,
                bucket_batch_sizes=[self.batch_size] * (len(bounds) + 1),
                padding_values=(PAD_ID, PAD_ID, PAD_ID),
            )
        else:
            ds = ds.padded_batch(self.batch_size, padding_values=(PAD_ID, PAD_ID, PAD_ID))
        return ds.map(lambda s, i, o: ((s, i), o)).prefetch(tf.data.AUTOTUNE)

    # ------------------------------------------------------------------ predict / evaluate
    def _decode_options(self, beam_width, length_penalty, max_length):
        beam_width = (
            self.beam_width
            if beam_width is None
            else check_int("beam_width", beam_width, 1, maximum=MAX_BEAM_WIDTH)
        )
        if beam_width > len(self.target_vocabulary_):
            raise ValueError(
                f"`beam_width` must not exceed the target vocabulary size "
                f"({len(self.target_vocabulary_)}). Received: beam_width={beam_width}"
            )
        length_penalty = (
            self.length_penalty
            if length_penalty is None
            else check_float("length_penalty", length_penalty, 0.0)
        )
        max_length = (
            self.max_length_ if max_length is None else check_int("max_length", max_length, 1)
        )
        return beam_width, length_penalty, max_length

    def _sources(self, x, name: str = "x") -> list[str]:
        if isinstance(x, tf.data.Dataset):
            out: list[str] = []
            for element in x.as_numpy_iterator():
                element = element[0] if isinstance(element, tuple) else element
                values = [element] if np.ndim(element) == 0 else np.asarray(element).tolist()
                out.extend(v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values)
            return out
        return check_texts(name, x, allow_empty=True)

    def predict(
        self,
        x,
        *,
        beam_width: int | None = None,
        length_penalty: float | None = None,
        max_length: int | None = None,
        return_scores: bool = False,
    ):
        """Translate source sentences.

        Args:
            x: Source sentences (list of strings or a dataset of strings / pairs).
            beam_width: Beam width (1 = greedy); defaults to the constructor's.
            length_penalty: GNMT alpha; defaults to the constructor's.
            max_length: Output-length guard; defaults to the one set in `fit`.
            return_scores: Also return the (length-normalised) log-probability of each output.

        Returns:
            A list of translations (strings), or `(translations, scores)`. An empty `x` gives
            `[]`; a blank source (empty, or only spaces, tabs and line breaks) gives `""` with
            score 0.0 (the exported SavedModel does the same).

        Raises:
            NotFittedError: Called before `fit`.
            TypeError / ValueError: Invalid inputs or options.
        """
        self._check_fitted("predict")
        sources = self._sources(x)
        options = self._decode_options(beam_width, length_penalty, max_length)
        if not sources:  # an empty batch gives an empty result, in every pipeline
            return ([], []) if return_scores else []
        decode = self._decoder(*options)
        texts: list[str] = [""] * len(sources)
        scores: list[float] = [0.0] * len(sources)
        # Batches of sources of similar length (by characters) end their search together: a
        # batch runs until its longest translation ends. Outputs come back in input order.
        order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
        if not self._fast_decoding:
            order = list(range(len(sources)))
        for start in range(0, len(sources), self.batch_size):
            rows = order[start : start + self.batch_size]
            out, sc = decode(tf.constant([sources[i] for i in rows], tf.string))
            for i, t, v in zip(rows, out.numpy().tolist(), sc.numpy(), strict=True):
                texts[i], scores[i] = t.decode("utf-8"), float(v)
        for i, source in enumerate(sources):  # nothing to translate: "" (as the SavedModel)
            if _BLANK.fullmatch(source):
                texts[i], scores[i] = "", 0.0
        return (texts, scores) if return_scores else texts

    def normalize(self, texts: Sequence[str]) -> list[str]:
        """Return `texts` in the form the model writes target text: lowercased if `lowercase`,
        tokens separated by spaces if not `detokenize` (SentencePiece pieces at the subword
        level), and at the word level punctuation split off and rejoined by the detokeniser."""
        self._check_fitted("normalize")
        texts = check_texts("texts", texts, allow_empty=True)
        if not texts:
            return []
        if self.level == "subword" and self.detokenize:
            ids = self._encode(tf.constant(texts, tf.string), "target")
            keep = tf.ragged.map_flat_values(tf.greater, ids, EOS_ID)  # unknown chars dropped
            text = self.target_subwords_.detokenize(tf.ragged.boolean_mask(ids, keep))
            return [t.decode("utf-8") for t in text.numpy().tolist()]
        sep = "" if self.level == "char" else " "
        joined = [sep.join(toks) for toks in self._token_lists(texts, "target")]
        if self.level == "word" and self.detokenize:
            joined = [t.decode("utf-8") for t in detokenize_words(tf.constant(joined)).numpy()]
        return joined

    def score(self, x, y=None) -> list[float]:
        """Log-probability of each given translation under the model (teacher forcing).

        The sum over the target's tokens and the end token of `log p(token | source, tokens
        before it)`, with `y` tokenised as the model writes text (`normalize`); target tokens
        outside the vocabulary are scored as `<unk>`. No length normalisation: for a greedy
        output this equals the score `predict(..., beam_width=1, length_penalty=0,
        return_scores=True)` reports.

        Args:
            x: Source sentences, or a dataset of `(source, target)` pairs (then `y` is None).
            y: One target sentence per source.

        Returns:
            One float per pair (natural log; `exp` gives the sequence probability).

        Example:
            >>> tr.score(["a dog runs"], ["ein Hund rennt"])  # doctest: +SKIP
            [-0.0213]
        """
        self._check_fitted("score")
        sources, targets = self._pairs(x, y)
        model = self.model_
        cached = self.__dict__.get("_score_fn")
        fn = cached[1] if cached is not None and cached[0] is model else None
        if fn is None:

            @tf.function(
                input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string)]
            )
            def fn(src, tgt):
                return self._sequence_log_prob(self._source_ids(src), self._target_ids(tgt)[1])

            self.__dict__["_score_fn"] = (model, fn)
        out: list[float] = []
        for start in range(0, len(sources), self.batch_size):
            end = start + self.batch_size
            vals = fn(tf.constant(sources[start:end]), tf.constant(targets[start:end]))
            out.extend(float(v) for v in vals.numpy())
        return out

    def _sequence_log_prob(self, source_ids, target_ids):
        """Teacher-forced `(batch,)` sum of `log p(token | source, tokens before it)` over
        `target_ids` up to and including the first end token (padding and what follows the end
        token are left out): the sequence log-probability, used by `score` and the export."""
        # One padding column more: a batch of zero-length outputs (an empty batch) still has a
        # step to feed; padding adds nothing to the sum.
        target_ids = tf.pad(tf.cast(target_ids, tf.int32), [[0, 0], [0, 1]], constant_values=PAD_ID)
        bos = tf.fill([tf.shape(target_ids)[0], 1], BOS_ID)
        target_in = tf.concat([bos, target_ids[:, :-1]], axis=1)
        logits = self.model_((source_ids, target_in), training=False)
        logp = tf.gather(tf.nn.log_softmax(logits), target_ids, batch_dims=2)
        ends_before = tf.cumsum(tf.cast(tf.equal(target_ids, EOS_ID), tf.int32), 1, exclusive=True)
        keep = tf.logical_and(tf.equal(ends_before, 0), tf.not_equal(target_ids, PAD_ID))
        return tf.reduce_sum(tf.where(keep, logp, 0.0), axis=1)

    def evaluate(self, x, y=None, *, beam_width: int | None = None) -> dict[str, Any]:
        """Translate `x` and score the output against the references `y` as they are.

        The headline `bleu` is sacreBLEU on the raw references: cased, the '13a' tokenizer
        ('char' at the character level), the model's detokenised output; `bleu_signature` is
        sacreBLEU's signature string of that score. `bleu_lowercased_tokenized` scores the same
        output the older way (both sides lowercased and punctuation split off, see
        `nlpkit.metrics.translation.lowercase_tokenize`), for comparison with papers that
        report that figure.

        Returns:
            `{"bleu", "bleu_signature", "bleu_lowercased_tokenized", "chrf", "exact_match",
            "token_accuracy"}`.

        Raises:
            NotFittedError: Called before `fit`.
            MissingDependencyError: sacrebleu is not installed.
        """
        self._check_fitted("evaluate")
        from nlpkit.metrics.translation import translation_metrics

        sources, targets = self._pairs(x, y)
        predictions = self.predict(sources, beam_width=beam_width)
        level = "char" if self.level == "char" else "word"
        return translation_metrics(predictions, targets, level=level)

    # ------------------------------------------------------------------ attention
    def attention(self, sources, *, max_length: int | None = None, return_tokens: bool = False):
        """Attention weights of greedy translations.

        Args:
            sources: Source sentences.
            max_length: Output-length guard (default: the one set in `fit`).
            return_tokens: Also return the source tokens and the output tokens.

        Returns:
            A list of `(output_tokens + 1, source_tokens)` arrays (the last row is the step that
            emitted `</s>` when it was emitted); with `return_tokens`, a list of
            `(weights, source_tokens, output_tokens)` triples.
        """
        self._check_fitted("attention")
        sources = check_texts("sources", sources)
        _, _, max_length = self._decode_options(1, None, max_length)
        ids, weights = self._attention_graph(tf.constant(sources, tf.string), max_length)
        ids, weights = ids.numpy(), weights.numpy()
        src_tokens = self._token_lists(sources)
        out = []
        for i, toks in enumerate(src_tokens):
            row = ids[i].tolist()
            n = row.index(EOS_ID) + 1 if EOS_ID in row else len(row)
            out_tokens = [self.target_vocabulary_[t] for t in row[:n]]
            w = weights[i, :n, : max(len(toks), 1)]
            out.append((w, toks, out_tokens) if return_tokens else w)
        return out

    def plot_attention(self, source: str, path: str | os.PathLike | None = None, ax=None):
        """Draw the attention heatmap of one greedy translation (matplotlib, extra "plot").

        Args:
            source: One source sentence.
            path: If given, save the figure there (PNG by suffix).
            ax: Draw into this matplotlib Axes instead of a new figure.

        Returns:
            The matplotlib Figure.

        Raises:
            MissingDependencyError: matplotlib is not installed.
        """
        self._check_fitted("plot_attention")
        if not isinstance(source, str):
            raise TypeError(f"`source` must be one string. Received: {type(source).__name__}")
        try:
            import matplotlib

            if ax is None and path is not None:
                matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError as e:
            raise MissingDependencyError("matplotlib", "plot", "plot_attention") from e
        weights, src_tokens, out_tokens = self.attention([source], return_tokens=True)[0]
        if ax is None:
            fig, ax = plt.subplots(
                figsize=(max(4, 0.35 * len(src_tokens) + 2), max(3, 0.35 * len(out_tokens) + 1.5))
            )
        else:
            fig = ax.figure
        ax.imshow(weights, cmap="viridis", aspect="auto", vmin=0.0, vmax=1.0)
        ax.set_xticks(
            range(len(src_tokens)), [t if t != " " else "␣" for t in src_tokens], rotation=90
        )
        ax.set_yticks(range(len(out_tokens)), out_tokens)
        ax.set_xlabel("source")
        ax.set_ylabel("output")
        shown = out_tokens[:-1] if out_tokens[-1:] == [EOS] else out_tokens
        if self.level == "subword":
            output = "".join(shown).replace("\u2581", " ").strip()
        else:
            output = ("" if self.level == "char" else " ").join(shown)
        ax.set_title(f"{source!r} -> {output!r}")
        fig.tight_layout()
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=120)
        return fig

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> None:
        # Files: model.keras (its weights load into a model rebuilt from the configuration);
        # source_vocabulary.txt, target_vocabulary.txt (one token a line in id order, see
        # `write_vocabulary`); state.json.
        write_vocabulary(directory / _SOURCE_VOCAB, self.source_vocabulary_)
        write_vocabulary(directory / _TARGET_VOCAB, self.target_vocabulary_)
        if self.level == "subword":
            # The SentencePiece models as they are: plain protocol-buffer files (no code runs
            # to read them; `spm_encode --model=target.spm.model` works on them too).
            (directory / _SPM_FILES[0]).write_bytes(self.source_subwords_.model_proto)
            (directory / _SPM_FILES[1]).write_bytes(self.target_subwords_.model_proto)
        write_json(
            directory / "state.json", {"max_length_": self.max_length_, "history_": self.history_}
        )
        self.model_.save(directory / "model.keras")

    def _load_state(self, directory: Path) -> None:
        if (directory / _SOURCE_VOCAB).is_file() or not (directory / "source_vocab.txt").is_file():
            self.source_vocabulary_ = read_vocabulary(directory / _SOURCE_VOCAB)
            self.target_vocabulary_ = read_vocabulary(directory / _TARGET_VOCAB)
        else:  # nlpkit 0.1: joined with newlines, unescaped
            self.source_vocabulary_ = (
                (directory / "source_vocab.txt").read_text(encoding="utf-8").split("\n")
            )
            self.target_vocabulary_ = (
                (directory / "target_vocab.txt").read_text(encoding="utf-8").split("\n")
            )
        self.source_subwords_ = self.target_subwords_ = None
        if self.level == "subword":
            subwords = []
            for name, vocabulary in zip(
                _SPM_FILES, (self.source_vocabulary_, self.target_vocabulary_), strict=True
            ):
                path = directory / name
                if not path.is_file():
                    raise ValueError(f"{directory} is not a complete saved Translator: no {name}.")
                vocab = SubwordVocabulary(path.read_bytes())
                if vocab.tokens != vocabulary:
                    raise ValueError(
                        f"{path} does not match the vocabulary file beside it ({len(vocab)} "
                        f"pieces, {len(vocabulary)} vocabulary entries): the save is inconsistent."
                    )
                subwords.append(vocab)
            self.source_subwords_, self.target_subwords_ = subwords
        state = read_json(directory / "state.json")
        self.max_length_ = int(state["max_length_"])
        self.history_ = state.get("history_", {})
        self._make_tables()
        model = self._build_model(compile=False)
        weights = directory / "model.keras"
        if not weights.is_file() and (directory / "model.weights.h5").is_file():
            weights = directory / "model.weights.h5"  # nlpkit 0.1
        try:
            load_keras_weights(model, weights)
        except IntegrityError as e:
            raise IntegrityError(
                f"{weights} does not fit the vocabularies ({_SOURCE_VOCAB}: "
                f"{len(self.source_vocabulary_)} entries, {_TARGET_VOCAB}: "
                f"{len(self.target_vocabulary_)}; edited, truncated or from another model?): {e}"
            ) from e
        self.model_ = model

    def _check_structure(self, directory: Path) -> None:
        old = not (directory / _SOURCE_VOCAB).is_file()
        src = "source_vocab.txt" if old else _SOURCE_VOCAB
        tgt = "target_vocab.txt" if old else _TARGET_VOCAB
        model = self.model_
        n_src, n_tgt = model.source_embedding.input_dim, model.target_embedding.input_dim
        check_rows(directory, src, len(self.source_vocabulary_), n_src, "source-embedding rows")
        check_rows(directory, tgt, len(self.target_vocabulary_), n_tgt, "target-embedding rows")

    def _export(self, directory: Path) -> None:
        """SavedModel whose `translate` signature (also `serving_default`) maps source strings
        to `{"translation", "score"}`; a blank source gives `""` with score 0, as `predict`."""
        module = tf.Module()
        module.model = self.model_
        if self.level == "subword":
            # The tokenizers are tracked resources holding the SentencePiece models; loading
            # the SavedModel needs `import tensorflow_text` (which registers their ops).
            module.source_tokenizer = self.source_subwords_.tokenizer
            module.target_tokenizer = self.target_subwords_.tokenizer
        else:
            module.source_table = self._src_vocab.table
            module.target_table = self._tgt_vocab.table

        @tf.function(
            input_signature=[tf.TensorSpec([None], tf.string, name="text")], autograph=False
        )
        def translate(text):
            decoding = self._decoding(self.beam_width, self.length_penalty)
            out = self._decode_ids(text, decoding, self.max_length_)
            weights, source_tokens, target_tokens = self._alignment_graph(text, out.tokens)
            translation, score = self._ids_to_text(out.tokens), out.scores
            # `score` is the decoder's (length-normalised when length_penalty > 0);
            # `log_probability` the translation's plain sequence log-probability.
            log_prob = self._sequence_log_prob(self._source_ids(text), out.tokens)
            blank = tf.strings.regex_full_match(text, _BLANK_RE2)
            return {
                "translation": tf.where(blank, tf.constant(""), translation),
                "score": tf.where(blank, tf.zeros_like(score), score),
                "log_probability": tf.where(blank, tf.zeros_like(log_prob), log_prob),
                "attention": weights,
                "source_tokens": source_tokens,
                "target_tokens": target_tokens,
            }

        module.translate = translate
        with tempfile.TemporaryDirectory() as tmp:
            if self.level == "subword":
                # Ship the SentencePiece model files in the SavedModel's assets/ too, for tools
                # that tokenise outside TensorFlow.
                for name, vocab in zip(
                    _SPM_FILES, (self.source_subwords_, self.target_subwords_), strict=True
                ):
                    (Path(tmp) / name).write_bytes(vocab.model_proto)
                module.sentencepiece_models = [
                    tf.saved_model.Asset(str(Path(tmp) / name)) for name in _SPM_FILES
                ]
            tf.saved_model.save(
                module,
                str(directory),
                signatures={"serving_default": translate, "translate": translate},
            )
        extra = directory / "assets.extra"
        extra.mkdir(exist_ok=True)
        write_vocabulary(extra / _SOURCE_VOCAB, self.source_vocabulary_)
        write_vocabulary(extra / _TARGET_VOCAB, self.target_vocabulary_)
        write_json(
            extra / "config.json", {"class": type(self).__name__, "config": self.get_config()}
        )


def run_recipe(recipe: dict, recipe_path: Path | None = None) -> dict:
    """Moved to `nlpkit.recipes.translation.run_recipe`; this name keeps working."""
    from nlpkit.recipes.translation import run_recipe as run

    return run(recipe, recipe_path)
