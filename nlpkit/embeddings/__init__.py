"""Word embeddings: presets, loaders, the out-of-vocabulary policy, training and analysis.

Used by every pipeline to initialise its embedding layer, and usable on its own. This package never
imports Keras layers; gensim is imported on first use and TensorFlow only by the GloVe trainer.

- `load(source, format=None, limit=None, allow_download=False, binary=None)`: a gensim
  `KeyedVectors` from a file (GloVe text, word2vec text/binary, fastText `.vec`/`.bin`, gensim
  `.kv`) or a preset name (`list_presets()`; e.g. ``"glove-6B-50d"``).
- `embedding_matrix(vocabulary, vectors, oov="random", seed=0, counts=None)`: the weight matrix
  for a Keras lookup vocabulary and an `OOVReport`.
- Training: `train_word2vec` / `train_fasttext` (skip-gram or CBOW, via gensim) and `GloVe` /
  `train_glove` (Pennington et al. 2014, in TensorFlow), from token lists or a streamed text file.
- Analysis: `most_similar`, `analogy`, `evaluate_analogies` (questions-words), `evaluate_similarity`
  (WordSim-353, SimLex-999), and hard debiasing (`bias_direction`, `neutralize`, `equalize`,
  `debias`; Bolukbasi et al. 2016).

Example:
    >>> import nlpkit.embeddings as emb
    >>> kv = emb.load("glove-6B-50d")  # doctest: +SKIP
    >>> matrix, report = emb.embedding_matrix(["", "[UNK]", "the", "cat"], kv)  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
"""

from nlpkit.embeddings.analysis import (
    analogy,
    evaluate_analogies,
    evaluate_similarity,
    most_similar,
    read_analogies,
    read_word_pairs,
)
from nlpkit.embeddings.debias import (
    GENDER_DEFINITIONAL_PAIRS,
    GENDER_EQUALIZE_PAIRS,
    bias_direction,
    bias_projection,
    debias,
    equalize,
    neutralize,
)
from nlpkit.embeddings.glove import GloVe, build_vocabulary, cooccurrence_counts, train_glove
from nlpkit.embeddings.loaders import FORMATS, detect_format, load
from nlpkit.embeddings.oov import PAD_TOKEN, UNK_TOKEN, OOVReport, embedding_matrix
from nlpkit.embeddings.presets import PRESETS, Preset, list_presets
from nlpkit.embeddings.training import TokenCorpus, train_fasttext, train_word2vec

__all__ = [
    "load",
    "detect_format",
    "FORMATS",
    "embedding_matrix",
    "OOVReport",
    "PAD_TOKEN",
    "UNK_TOKEN",
    "list_presets",
    "Preset",
    "PRESETS",
    "TokenCorpus",
    "train_word2vec",
    "train_fasttext",
    "GloVe",
    "train_glove",
    "build_vocabulary",
    "cooccurrence_counts",
    "most_similar",
    "analogy",
    "evaluate_analogies",
    "evaluate_similarity",
    "read_analogies",
    "read_word_pairs",
    "bias_direction",
    "neutralize",
    "equalize",
    "debias",
    "bias_projection",
    "GENDER_DEFINITIONAL_PAIRS",
    "GENDER_EQUALIZE_PAIRS",
]
