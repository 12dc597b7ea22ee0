"""`SubwordVocabulary`: a SentencePiece model (unigram or BPE) with in-graph tokenisation.

The model is trained on the training text with `sentencepiece` (Kudo & Richardson 2018) and
applied inside TensorFlow graphs with `tensorflow_text.SentencepieceTokenizer`, so a SavedModel
that uses it takes and returns raw strings: text -> piece ids in the graph, ids -> text
(detokenised: pieces joined, `"▁"` turned back into spaces) in the graph.

Ids 0-3 are nlpkit's shared special ids (`nlpkit.text.special_ids`): SentencePiece is trained with
`pad_id=0, unk_id=1, bos_id=2, eos_id=3`, so piece ids are model ids with no remapping. Every
character of the training text is kept (`character_coverage=1.0`), so training text never maps to
the unknown id. Case is kept unless the caller lowercases first.

On disk the model is the plain SentencePiece model file (`*.model`, a protocol buffer): reading it
runs no code, and `spm_encode --model=...` or `sentencepiece.SentencePieceProcessor` use it as is.

Both packages are optional (`pip install "nlpkit[translation]"`): `sentencepiece` is needed to
train, `tensorflow-text` to tokenise, and to load a SavedModel that holds the tokenizer
(`import tensorflow_text` registers its ops; `nlpkit serve` does this itself).

Example:
    >>> import tensorflow as tf
    >>> texts = ["The cat sleeps.", "A dog runs.", "The dog sleeps.", "A cat runs fast."]
    >>> vocab = SubwordVocabulary.train(texts, vocab_size=40)
    >>> ids = vocab.tokenize(tf.constant(["The cat runs."]))
    >>> vocab.detokenize(ids).numpy().tolist()
    [b'The cat runs.']
    >>> vocab.tokens[:4]
    ['', '[UNK]', '<s>', '</s>']
"""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

import tensorflow as tf

from nlpkit.errors import MissingDependencyError
from nlpkit.text.special_ids import BOS_ID, EOS_ID, NUM_SPECIAL, PAD_ID, UNK_ID
from nlpkit.text.token_vocabulary import SPECIAL_TOKENS
from nlpkit.utils.validation import check_choice, check_int

__all__ = ["SubwordVocabulary", "SUBWORD_MODELS", "STREAM_SENTENCES", "register_text_ops"]

SUBWORD_MODELS = ("unigram", "bpe")
#: Sentences SentencePiece keeps in memory when it trains on a stream (`train_stream`).
STREAM_SENTENCES = 1_000_000
_SPM_SPECIALS = ("<pad>", "[UNK]", "<s>", "</s>")


def register_text_ops() -> bool:
    """Import `tensorflow_text` if installed, registering the ops SavedModels with a subword
    tokenizer need (`SentencepieceOp`, ...). Returns whether it is installed."""
    try:
        import tensorflow_text  # noqa: F401
    except ImportError:
        return False
    return True


def _tf_text(feature: str):
    try:
        import tensorflow_text
    except ImportError as e:
        raise MissingDependencyError("tensorflow-text", "translation", feature) from e
    return tensorflow_text


def _named_model_resource_class():
    from tensorflow.python.trackable import resource
    from tensorflow_text.python.ops.sentencepiece_tokenizer import gen_sentencepiece_tokenizer

    class NamedModelResource(resource.TrackableResource):
        """tensorflow-text's SentencePiece model resource with a name of its own.

        tensorflow-text creates the resource with an empty `shared_name`; in a SavedModel that
        holds two SentencePiece models (source and target) both restored resources then
        resolved to the same model. Here the name is the model's digest, so two models never
        share a resource (and two copies of one model may).
        """

        def __init__(self, model: bytes):
            super().__init__()
            self._model = model
            self._shared_name = "nlpkit_spm_" + hashlib.sha256(model).hexdigest()[:24]
            _ = self.resource_handle  # creates the resource now

        def _create_resource(self):
            return gen_sentencepiece_tokenizer.sentencepiece_op(
                model=self._model, shared_name=self._shared_name
            )

    return NamedModelResource


_RESOURCE_CLASS: list = []  # the class, defined once tensorflow_text is importable


def _model_resource(model: bytes):
    if not _RESOURCE_CLASS:
        _RESOURCE_CLASS.append(_named_model_resource_class())
    return _RESOURCE_CLASS[0](model)


class SubwordVocabulary:
    """A SentencePiece model with in-graph tokenisation and detokenisation.

    Args:
        model_proto: The serialized SentencePiece model (the bytes of a `.model` file) whose ids
            0-3 are padding, unknown, start and end (as `train` makes them).

    Raises:
        MissingDependencyError: `tensorflow-text` is not installed.
        ValueError: `model_proto` is not such a model.
    """

    def __init__(self, model_proto: bytes):
        if not isinstance(model_proto, (bytes, bytearray)) or not model_proto:
            raise ValueError(
                "`model_proto` must be the non-empty bytes of a SentencePiece model file. "
                f"Received: {type(model_proto).__name__}"
            )
        text = _tf_text("Subword tokenisation (level='subword')")
        self.model_proto = bytes(model_proto)
        try:
            self.tokenizer = text.SentencepieceTokenizer(model=self.model_proto, out_type=tf.int32)
            self.tokenizer._model_resource = _model_resource(self.model_proto)
            size = int(self.tokenizer.vocab_size())
            pieces = self.tokenizer.id_to_string(tf.range(size)).numpy().tolist()
        except (tf.errors.OpError, ValueError) as e:
            raise ValueError(f"`model_proto` is not a valid SentencePiece model: {e}") from e
        pieces = [p.decode("utf-8") for p in pieces]
        if size <= NUM_SPECIAL or tuple(pieces[:NUM_SPECIAL]) != _SPM_SPECIALS:
            raise ValueError(
                f"A SentencePiece model for nlpkit must have the pieces {list(_SPM_SPECIALS)} "
                f"as ids 0-3 (train it with SubwordVocabulary.train). Received: {pieces[:4]}"
            )
        self.tokens = list(SPECIAL_TOKENS) + pieces[NUM_SPECIAL:]

    @classmethod
    def train(
        cls,
        texts: Iterable[str],
        *,
        vocab_size: int = 8000,
        model_type: str = "unigram",
        seed: int | None = None,
    ) -> SubwordVocabulary:
        """Train a SentencePiece model on `texts` (in memory; nothing is written).

        Args:
            texts: Training sentences (raw text: case and punctuation as they are).
            vocab_size: Target number of pieces, the four special ids included. It is a soft
                limit: on a small text SentencePiece stops at the pieces the text supports.
            model_type: 'unigram' (Kudo 2018) or 'bpe' (Sennrich et al. 2016).
            seed: Accepted for symmetry with the pipelines; SentencePiece training on fewer
                than 10 million sentences is deterministic.

        Returns:
            The trained vocabulary.

        Raises:
            MissingDependencyError: `sentencepiece` is not installed.
            ValueError: `texts` is empty or an option is out of range.
        """
        sentences = [t for t in texts if t.strip()]
        return cls._train(
            lambda: iter(sentences),
            vocab_size=vocab_size,
            model_type=model_type,
            input_sentence_size=10_000_000,
        )

    @classmethod
    def train_stream(
        cls,
        sentences: Callable[[], Iterable[str]],
        *,
        vocab_size: int = 8000,
        model_type: str = "unigram",
        max_sentences: int = STREAM_SENTENCES,
    ) -> SubwordVocabulary:
        """Train a SentencePiece model on a stream of sentences, in bounded memory.

        SentencePiece reads the whole stream and keeps at most `max_sentences` of its non-blank
        sentences (a uniform sample when there are more; all of them, in order, otherwise, so
        that a small stream gives the model `train` gives on the same sentences).

        Args:
            sentences: A function returning a fresh iterator of sentences each time it is
                called (called once, or twice when a tiny text needs a smaller unigram
                vocabulary).
            vocab_size: As for `train`.
            model_type: As for `train`.
            max_sentences: Sentences SentencePiece holds in memory at most.

        Returns:
            The trained vocabulary.

        Raises:
            MissingDependencyError: `sentencepiece` is not installed.
            ValueError: the stream has no non-blank sentence, or an option is out of range.

        Example:
            >>> vocab = SubwordVocabulary.train_stream(lambda: iter(["a cat", "a dog"] * 20),
            ...                                        vocab_size=20)
            >>> vocab.tokens[:4]
            ['', '[UNK]', '<s>', '</s>']
        """
        max_sentences = check_int("max_sentences", max_sentences, 1)

        def non_blank():
            return (t for t in sentences() if t.strip())

        return cls._train(
            non_blank,
            vocab_size=vocab_size,
            model_type=model_type,
            input_sentence_size=max_sentences,
        )

    @classmethod
    def _train(
        cls,
        sentences: Callable[[], Iterator[str]],
        *,
        vocab_size: int,
        model_type: str,
        input_sentence_size: int,
    ) -> SubwordVocabulary:
        """Train on `sentences()` (non-blank sentences; called again for the tiny-text retry)."""
        vocab_size = check_int("vocab_size", vocab_size, NUM_SPECIAL + 1)
        model_type = check_choice("model_type", model_type, SUBWORD_MODELS)
        try:
            import sentencepiece as spm
        except ImportError as e:
            raise MissingDependencyError(
                "sentencepiece", "translation", "Training a subword vocabulary"
            ) from e
        failures: list[BaseException] = []

        def guarded(it):
            # SentencePiece turns an error raised by the iterator (a malformed data file) into
            # a RuntimeError of its own: keep the original to raise it as it was.
            try:
                yield from it
            except Exception as e:
                failures.append(e)
                raise

        first = sentences()
        head = next(first, None)
        if head is None:
            raise ValueError("`texts` has no non-blank sentence to train a subword vocabulary on.")
        buffer = io.BytesIO()
        options = dict(
            model_type=model_type,
            vocab_size=vocab_size,
            pad_id=PAD_ID,
            unk_id=UNK_ID,
            bos_id=BOS_ID,
            eos_id=EOS_ID,
            pad_piece=_SPM_SPECIALS[0],
            unk_piece=_SPM_SPECIALS[1],
            bos_piece=_SPM_SPECIALS[2],
            eos_piece=_SPM_SPECIALS[3],
            character_coverage=1.0,
            hard_vocab_limit=False,
            input_sentence_size=input_sentence_size,
            num_threads=1,
            minloglevel=2,
        )
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=guarded(itertools.chain([head], first)),
                model_writer=buffer,
                **options,
            )
        except RuntimeError as e:
            if failures:
                raise failures[0] from None
            if model_type == "bpe" or "Vocabulary size" not in str(e):
                raise ValueError(f"SentencePiece training failed: {e}") from e
            # A unigram model needs at least every character as a piece; on tiny text ask for
            # what the text has (the limit is soft anyway).
            chars: set[str] = set()
            for s in sentences():
                chars.update(s)
            options["vocab_size"] = NUM_SPECIAL + len(chars) + 1
            buffer = io.BytesIO()
            try:
                spm.SentencePieceTrainer.train(
                    sentence_iterator=guarded(sentences()), model_writer=buffer, **options
                )
            except RuntimeError:
                if failures:
                    raise failures[0] from None
                raise
        return cls(buffer.getvalue())

    def __len__(self) -> int:
        return len(self.tokens)

    def tokenize(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """`(B,)` strings -> ragged `(B, None)` int32 piece ids, in the graph."""
        return self.tokenizer.tokenize(texts)

    def pieces(self, ids) -> tf.Tensor:
        """Piece strings of `ids` (dense or ragged; special ids give `""`, `"[UNK]"`, ...)."""
        return tf.gather(tf.constant(self.tokens), ids)

    def detokenize(self, ids) -> tf.Tensor:
        """Ragged `(B, None)` ids (no special ids) -> `(B,)` detokenised strings, in the graph."""
        return self.tokenizer.detokenize(ids)

    def token_lists(self, texts: Sequence[str]) -> list[list[str]]:
        """The pieces of each text, in Python (for inspection and plots)."""
        if not texts:
            return []
        ids = self.tokenize(tf.constant(list(texts), tf.string))
        return [[self.tokens[i] for i in row] for row in ids.to_list()]
