"""Pure Keras 3 layers. They know nothing about files or readers."""

from nlpkit.layers.argmax_tags import ArgmaxTags
from nlpkit.layers.bahdanau_attention import BahdanauAttention
from nlpkit.layers.char_encoder import CharEncoder
from nlpkit.layers.crf import CRF, crf_log_likelihood, viterbi_decode
from nlpkit.layers.luong_attention import LuongAttention
from nlpkit.layers.nade import NADE
from nlpkit.layers.partly_trainable_embedding import PartlyTrainableEmbedding
from nlpkit.layers.recurrent_stack import CELLS, RecurrentStack
from nlpkit.layers.windowed_self_attention import WindowedSelfAttention

__all__ = [
    "CELLS",
    "ArgmaxTags",
    "BahdanauAttention",
    "CRF",
    "CharEncoder",
    "LuongAttention",
    "NADE",
    "PartlyTrainableEmbedding",
    "RecurrentStack",
    "WindowedSelfAttention",
    "crf_log_likelihood",
    "viterbi_decode",
]
