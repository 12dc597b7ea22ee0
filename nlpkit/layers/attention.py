"""Attention layers for encoder-decoder models: Bahdanau (additive) and Luong (dot/general/concat).

Both take `[query, values]` with an optional source mask and return `(context, weights)`; padded
source positions get a weight of exactly 0.
"""

from nlpkit.layers.bahdanau_attention import BahdanauAttention, masked_softmax
from nlpkit.layers.luong_attention import SCORES, LuongAttention

__all__ = ["BahdanauAttention", "LuongAttention", "SCORES", "masked_softmax"]
