"""TensorFlow ops used inside exported graphs (sampling)."""

from nlpkit.ops.sampling import filter_logits, sample_logits

__all__ = ["filter_logits", "sample_logits"]
