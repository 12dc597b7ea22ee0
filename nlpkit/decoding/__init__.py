"""Decoding strategies shared by every generating task, in the graph (`tf.while_loop`).

One step-function contract (`step_fn(tokens, state, index) -> (logits, new_state[, aux])`, see
`nlpkit.decoding.base`) and three strategies chosen by name:

- `"greedy"`: `GreedySearch`, the most probable token at each step;
- `"beam"`: `BeamSearch`, n-best beam search with the GNMT length penalty;
- `"sample"`: `Sampling`, temperature / top-k / top-p sampling with stateless, seeded draws.

The CRF's Viterbi decoder (`nlpkit.layers.crf.viterbi_decode`) is re-exported here: it is the
exact decoder of a linear-chain model rather than a step-function search, so it stays in the
layer.

Example:
    >>> import tensorflow as tf
    >>> from nlpkit import decoding
    >>> table = tf.math.log(tf.constant([[0.1, 0.9], [0.8, 0.2]]))
    >>> step = lambda tokens, state, index: (tf.gather(table, tokens), state)
    >>> decoder = decoding.get("greedy")
    >>> decoder(step, (), tf.constant([0]), max_length=2).tokens.numpy().tolist()
    [[1, 0]]
    >>> config = decoding.serialize(decoding.get("beam"))["config"]
    >>> config["beam_width"], config["finished_in_beam"], config["stop_early"]
    (4, True, False)
"""

from nlpkit.decoding.base import (
    DecodeOutput,
    Decoder,
    StepFn,
    available,
    deserialize,
    get,
    register,
    serialize,
)
from nlpkit.decoding.beam import BeamSearch, length_penalty, tile_beams
from nlpkit.decoding.greedy import GreedySearch
from nlpkit.decoding.sampling import Sampling
from nlpkit.decoding.sampling_ops import filter_logits, sample_logits
from nlpkit.layers.crf import viterbi_decode

__all__ = [
    "BeamSearch",
    "DecodeOutput",
    "Decoder",
    "GreedySearch",
    "Sampling",
    "StepFn",
    "available",
    "deserialize",
    "filter_logits",
    "get",
    "length_penalty",
    "register",
    "sample_logits",
    "serialize",
    "tile_beams",
    "viterbi_decode",
]
