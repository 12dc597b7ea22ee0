"""Pure Keras 3 layers. They know nothing about files or readers."""

from nlpkit.layers.argmax_tags import ArgmaxTags
from nlpkit.layers.bahdanau_attention import BahdanauAttention
from nlpkit.layers.char_encoder import CharEncoder
from nlpkit.layers.crf import (
    CRF,
    crf_forward_backward,
    crf_log_likelihood,
    crf_marginals,
    crf_segment_log_probability,
    viterbi_decode,
)
from nlpkit.layers.luong_attention import LuongAttention
from nlpkit.layers.masked_average import MaskedAverage
from nlpkit.layers.nade import NADE
from nlpkit.layers.partly_trainable_embedding import PartlyTrainableEmbedding
from nlpkit.layers.recurrent_stack import CELLS, RecurrentStack
from nlpkit.layers.unknown_word_dropout import UnknownWordDropout
from nlpkit.layers.windowed_self_attention import WindowedSelfAttention

__all__ = [
    "CELLS",
    "ArgmaxTags",
    "BahdanauAttention",
    "CRF",
    "CharEncoder",
    "LuongAttention",
    "MaskedAverage",
    "NADE",
    "PartlyTrainableEmbedding",
    "RecurrentStack",
    "UnknownWordDropout",
    "WindowedSelfAttention",
    "crf_forward_backward",
    "crf_log_likelihood",
    "crf_marginals",
    "crf_segment_log_probability",
    "viterbi_decode",
]
