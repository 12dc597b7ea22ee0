"""Deprecated location of the in-graph sampling ops; they live in `nlpkit.decoding` now.

`from nlpkit.ops.sampling import sample_logits` keeps working (same functions, re-exported).
"""

from nlpkit.decoding.sampling_ops import filter_logits, sample_logits

__all__ = ["filter_logits", "sample_logits"]
