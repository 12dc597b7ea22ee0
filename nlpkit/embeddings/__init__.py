"""Word embeddings: presets, loaders, the out-of-vocabulary policy, training and analysis.

Used by every pipeline to initialise its embedding layer, and usable on its own. This package never
imports Keras layers; gensim is imported on first use and TensorFlow only by the GloVe trainer.

- `load(source, format=None, limit=None, allow_download=False, binary=None)`: a gensim
  `KeyedVectors` from a file (GloVe text, word2vec text/binary, fastText `.vec`/`.bin`, gensim
  `.kv`) or a preset name (`list_presets()`; e.g. ``"glove-6B-50d"``).
- `embedding_matrix(vocabulary, vectors, oov="random", seed=0, counts=None)`: the weight matrix
  for a Keras lookup vocabulary and an `OOVReport`.

Example:
    >>> import nlpkit.embeddings as emb
    >>> kv = emb.load("glove-6B-50d")  # doctest: +SKIP
    >>> matrix, report = emb.embedding_matrix(["", "[UNK]", "the", "cat"], kv)  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
"""

from nlpkit.embeddings.loaders import FORMATS, detect_format, load
from nlpkit.embeddings.oov import PAD_TOKEN, UNK_TOKEN, OOVReport, embedding_matrix
from nlpkit.embeddings.presets import PRESETS, Preset, list_presets

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
]
