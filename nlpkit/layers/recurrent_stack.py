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

    Step by step: `initial_state(batch_size)` gives zero states and `step(x_t, states)` advances
    every layer by one time step (unidirectional stacks only), as the full `call` would, so
    generation never reaches into the cells.

    Masking: an incoming Keras mask (e.g. from `Embedding(mask_zero=True)`) is passed to every
    layer, so padded steps neither update the state nor count as the "last" step. With
    `return_sequences=True` the mask is propagated to the next layer.

    Example:
        >>> import numpy as np
        >>> stack = RecurrentStack("gru", 8, num_layers=2, bidirectional=True)
        >>> tuple(stack(np.zeros((2, 5, 4), "float32")).shape)
        (2, 16)
        >>> lm = RecurrentStack("lstm", 8, num_layers=2, return_sequences=True)
        >>> _ = lm(np.zeros((2, 5, 4), "float32"))
        >>> states = lm.initial_state(2)
        >>> out, states = lm.step(np.zeros((2, 4), "float32"), states)
        >>> tuple(out.shape), len(states)
        ((2, 8), 4)
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
                # The backward copy is built here, not by `Bidirectional` (which serialises the
                # forward layer twice and can, inside `load_model`'s object-sharing scope, get
                # back an unrelated object whose id the saved file happens to record: a
                # "go_backwards" error at load time that depends on memory addresses).
                backward = _CELL_CLASSES[self.cell](
                    self.hidden_size,
                    return_sequences=seq,
                    go_backwards=True,
                    name=f"backward_{self.cell}_{i}",
                )
                layer = keras.layers.Bidirectional(
                    layer, backward_layer=backward, name=f"bi{self.cell}_{i}"
                )
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

    # ------------------------------------------------------------------ step by step
    @property
    def states_per_layer(self) -> int:
        """State tensors per layer: 2 for an LSTM (h, c), else 1."""
        return 2 if self.cell == "lstm" else 1

    def _check_steppable(self, what: str) -> None:
        if self.bidirectional:
            raise ValueError(
                f"`RecurrentStack.{what}` needs a unidirectional stack: a bidirectional layer "
                "reads the whole sequence backwards too. Received: bidirectional=True"
            )

    def initial_state(self, batch_size) -> tuple:
        """Zero states for `step`: a flat tuple, layer by layer (`h` or `(h, c)` for an LSTM),
        each `(batch_size, hidden_size)`.

        Raises:
            ValueError: the stack is bidirectional.
        """
        self._check_steppable("initial_state")
        n = self.num_layers * self.states_per_layer
        return tuple(keras.ops.zeros((batch_size, self.hidden_size)) for _ in range(n))

    def step(self, inputs, states, training: bool = False):
        """Advance every layer by one time step.

        Args:
            inputs: `(batch, features)` input of this time step.
            states: The flat tuple from `initial_state` or from the previous `step`.
            training: Apply the between-layer dropout (as `call` does in training).

        Returns:
            `(output, new_states)`: the last layer's `(batch, hidden_size)` output, equal to
            the `call` output at this time step, and the new flat state tuple.

        Raises:
            ValueError: the stack is bidirectional, or `states` has the wrong number of tensors.
        """
        self._check_steppable("step")
        k = self.states_per_layer
        states = tuple(states)
        if len(states) != self.num_layers * k:
            raise ValueError(
                f"`states` must hold {self.num_layers * k} tensors (num_layers={self.num_layers}, "
                f"cell={self.cell!r}). Received: {len(states)}"
            )
        x = inputs
        new_states = []
        for i, layer in enumerate(self.recurrent_layers):
            if self.dropout:
                x = self.dropout_layers[i](x, training=training)
            x, s = layer.cell(x, list(states[i * k : (i + 1) * k]), training=training)
            new_states.extend(s if isinstance(s, (list, tuple)) else [s])
        return x, tuple(new_states)

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
