"""Loss scaling across the replicas of a `tf.distribute` strategy, with public TensorFlow API only.

Under a strategy each replica computes the loss of its share of the global batch, and the
replicas' gradients are summed. Keras's own losses therefore divide each replica's loss by the
number of replicas in sync, so that the sum is the global batch's mean. The losses nlpkit writes
itself (the CRF likelihood, the translator's masked cross-entropy) do the same through
`scale_loss_for_replicas`; the engine's loop reports the unscaled value
(`unscale_loss_for_replicas`). Outside a strategy both are the identity.

Example:
    >>> import tensorflow as tf
    >>> float(scale_loss_for_replicas(tf.constant(3.0)))
    3.0
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["replicas_in_sync", "scale_loss_for_replicas", "unscale_loss_for_replicas"]


def replicas_in_sync() -> int:
    """Replicas of the strategy in the current context (1 outside any strategy)."""
    return int(tf.distribute.get_strategy().num_replicas_in_sync)


def scale_loss_for_replicas(loss):
    """`loss / replicas_in_sync()`, as Keras's own losses scale theirs (identity for 1)."""
    n = replicas_in_sync()
    return loss if n == 1 else loss * tf.cast(1.0 / n, loss.dtype)


def unscale_loss_for_replicas(loss):
    """`loss * replicas_in_sync()`: undoes `scale_loss_for_replicas` or a Keras loss's scaling."""
    n = replicas_in_sync()
    return loss if n == 1 else loss * tf.cast(n, loss.dtype)
