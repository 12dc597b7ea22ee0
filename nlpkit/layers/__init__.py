"""Pure Keras 3 layers. They know nothing about files or readers."""

from nlpkit.layers.recurrent_stack import CELLS, RecurrentStack

__all__ = ["CELLS", "RecurrentStack"]
