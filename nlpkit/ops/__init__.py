"""TensorFlow ops used inside exported graphs (sampling); kept as a re-export of `nlpkit.decoding`."""

from nlpkit.ops.sampling import filter_logits, sample_logits

__all__ = ["filter_logits", "sample_logits"]
