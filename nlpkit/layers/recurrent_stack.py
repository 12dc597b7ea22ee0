"""`RecurrentStack`: the recurrent block used by every nlpkit pipeline."""

from __future__ import annotations

import keras

from nlpkit.utils.validation import check_bool, check_choice, check_float, check_int

__all__ = ["RecurrentStack", "CELLS"]

CELLS = ("rnn", "gru", "lstm")
_CELL_CLASSES = {"rnn": keras.layers.SimpleRNN, "gru": keras.layers.GRU, "lstm": keras.layers.LSTM}


@keras.saving.register_keras_serializable(package="nlpkit")
class RecurrentStack(keras.layers.Layer):
    """A stack of `num_layers` recurrent layers, optionally bidirectional, with dropout between.

    Elman RNN, GRU (Cho et al. 2014) or LSTM (Hochreiter & Schmidhuber 1997) cells; the
    bidirectional form concatenates a forward and a backward pass (Schuster & Paliwal 1997).

    Args:
        cell: 'rnn', 'gru' or 'lstm'.
        hidden_size: Units per direction.
        num_layers: How many recurrent layers are stacked.
        bidirectional: Run each layer in both directions and concatenate.
        dropout: Dropout rate applied to each layer's output except the last (and to the input
            of the first); 0 disables it.
        return_sequences: Return the full output sequence `(batch, time, features)` rather than
            the last step `(batch, features)`.

    Masking: an incoming Keras mask (e.g. from `Embedding(mask_zero=True)`) is passed to every
    layer, so padded steps neither update the state nor count as the "last" step. With
    `return_sequences=True` the mask is propagated to the next layer.

    Example:
        >>> import numpy as np
        >>> stack = RecurrentStack("gru", 8, num_layers=2, bidirectional=True)
        >>> tuple(stack(np.zeros((2, 5, 4), "float32")).shape)
        (2, 16)
    """

    def __init__(
        self,
        cell: str = "lstm",
        hidden_size: int = 128,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        return_sequences: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.cell = check_choice("cell", cell, CELLS)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        self.num_layers = check_int("num_layers", num_layers, 1)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        self.dropout = check_float("dropout", dropout, 0.0, 1.0, high_inclusive=False)
        self.return_sequences = check_bool("return_sequences", return_sequences)
        self.supports_masking = True
        self.recurrent_layers = []
        for i in range(self.num_layers):
            seq = self.return_sequences or i < self.num_layers - 1
            layer = _CELL_CLASSES[self.cell](
                self.hidden_size, return_sequences=seq, name=f"{self.cell}_{i}"
            )
            if self.bidirectional:
                layer = keras.layers.Bidirectional(layer, name=f"bi{self.cell}_{i}")
            self.recurrent_layers.append(layer)
        self.dropout_layers = [
            keras.layers.Dropout(self.dropout, name=f"dropout_{i}") for i in range(self.num_layers)
        ]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.recurrent_layers:
            layer.build(shape)
            shape = tuple(layer.compute_output_shape(shape))
            if len(shape) == 2:
                break
        self.built = True

    def call(self, inputs, mask=None, training=False):
        x = inputs
        for i, layer in enumerate(self.recurrent_layers):
            if self.dropout:
                x = self.dropout_layers[i](x, training=training)
            x = layer(x, mask=mask, training=training)
        return x

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        units = self.hidden_size * (2 if self.bidirectional else 1)
        if self.return_sequences:
            return (input_shape[0], input_shape[1], units)
        return (input_shape[0], units)

    def get_config(self):
        config = super().get_config()
        config.update(
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            return_sequences=self.return_sequences,
        )
        return config
