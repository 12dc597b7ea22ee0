"""The task networks the pipelines train: one module per network.

`nlpkit.models` sits between the building blocks and the pipelines in the one-way import order
(`text`, `layers`, `decoding` -> `models` -> `pipelines`): a model imports layers, decoding and
text, never a pipeline. A pipeline owns the data, the vocabularies, `fit` / `predict` / `save` /
`export`; the network it builds, and the graph code that steps it, live here.

- `Seq2Seq` (`nlpkit.models.seq2seq`): the attention encoder-decoder of `Translator`.
"""

from nlpkit.models.seq2seq import Seq2Seq

__all__ = ["Seq2Seq"]
