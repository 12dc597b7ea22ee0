"""`RecurrentStack`: the recurrent block used by every nlpkit pipeline."""

from __future__ import annotations

import keras
import tensorflow as tf

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

    Fast inference (`fast_inference`, LSTM cells only): a switch, off by default and not saved
    with the layer, that runs inference calls (`training=False`) through one `tf.while_loop`
    per layer instead of Keras's loop per direction. The input projection of every step is one
    matrix multiply before the loop, and the two directions advance together, their recurrent
    products batched into one `BatchMatMul` per step; the per-step work is then about half as
    many ops. The results equal the Keras path's up to float rounding (both compute the same
    formulas; the additions happen in another order). It needs right-padded masks (each row's
    real steps first, as cuDNN does): a mask with a gap raises `InvalidArgumentError`. Training
    always takes the Keras path (and so keeps the cuDNN kernels on a GPU).
    `nlpkit.models.sequence_tagger` switches it on for the tagger's sentence encoder and
    `CharEncoder` for its character LSTM.

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
        #: Run LSTM inference through the fused loop (see the class docstring). Not in
        #: `get_config`: it changes how, not what, the layer computes.
        self.fast_inference = False
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
        if self.fast_inference and self.cell == "lstm" and not training:
            return self._fused_call(inputs, mask)
        x = inputs
        for i, layer in enumerate(self.recurrent_layers):
            if self.dropout:
                x = self.dropout_layers[i](x, training=training)
            x = layer(x, mask=mask, training=training)
        return x

    def _fused_call(self, inputs, mask):
        """Inference through `fused_lstm`, layer by layer (dropout is off in inference)."""
        x = tf.convert_to_tensor(inputs)
        shape = tf.shape(x)
        batch, steps = shape[0], shape[1]
        if mask is None:
            lengths = tf.fill([batch], steps)
        else:
            mask = tf.cast(mask, tf.bool)
            lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)
            # The fused loop reads each row's first `lengths` steps: the mask must say the same.
            check = tf.debugging.assert_equal(
                tf.sequence_mask(lengths, steps),
                mask,
                message="RecurrentStack.fast_inference needs right-padded masks (each row's "
                "real steps first); this mask has a gap",
            )
            with tf.control_dependencies([check]):
                lengths = tf.identity(lengths)
        for i, layer in enumerate(self.recurrent_layers):
            if self.bidirectional:
                cells = (layer.forward_layer.cell, layer.backward_layer.cell)
            else:
                cells = (layer.cell,)
            seq = self.return_sequences or i < self.num_layers - 1
            x = fused_lstm(x, lengths, cells, return_sequences=seq)
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


def fused_lstm(inputs, lengths, cells, *, return_sequences: bool):
    """One LSTM layer (one cell: forward; two cells: forward and backward, concatenated) over
    right-padded `inputs` `(batch, time, features)` with `lengths` real steps per row, as Keras's
    `LSTM` / `Bidirectional(LSTM)` compute it in inference, in one `tf.while_loop`.

    The input projection `x @ kernel` of all steps is one matrix multiply per direction before
    the loop; the backward direction reads each row's real steps reversed
    (`tf.reverse_sequence`), so both directions start at step 0 and no step needs a mask: steps
    past a row's length compute values that are zeroed (sequences) or never read (last state).
    Both directions advance in the same loop as one `(n, batch, units)` state. Their recurrent
    products are, for one row, a single `BatchMatMul` `(n, 1, units) x (n, units, 4 units)`:
    a lone `(1, units) x (units, 4 units)` `MatMul` is split over the intra-op threads and waits
    for them (measured: about 10x slower per step on the 2-core machine when busy). For several
    rows, where the `MatMul` kernel is the faster one (and `BatchMatMul` slower than two
    `MatMul`s), one `MatMul` per direction.

    Returns:
        `(batch, time, n * units)` with zeros at padded steps (as `Bidirectional` returns; a
        unidirectional Keras layer repeats the last real output there, and so does this), or
        the `(batch, n * units)` outputs of each row's last real step (zeros for empty rows).
    """
    n = len(cells)
    units = cells[0].units
    dtype = inputs.dtype
    shape = tf.shape(inputs)
    batch, steps = shape[0], shape[1]
    x = tf.transpose(inputs, [1, 0, 2])  # time, batch, features
    projs = []
    for d, cell in enumerate(cells):
        xd = tf.reverse_sequence(x, lengths, seq_axis=0, batch_axis=1) if d == 1 else x
        proj = tf.matmul(tf.reshape(xd, [-1, inputs.shape[-1]]), tf.convert_to_tensor(cell.kernel))
        projs.append(tf.reshape(proj, [steps, batch, 4 * units]))
    # The bias is added after the recurrent product, in the order Keras's cell adds them.
    bias = tf.stack([tf.convert_to_tensor(c.bias) for c in cells])[:, None, :]  # n, 1, 4u
    kernels = [tf.convert_to_tensor(c.recurrent_kernel) for c in cells]
    stacked = tf.stack(kernels)  # n, u, 4u
    # The rows each product takes: all rows by one of the two, none by the other (a product
    # over zero rows costs next to nothing). A `tf.cond` inside the loop would do the same but
    # makes TensorFlow's graph type inference warn.
    one_row = tf.equal(batch, 1)
    batched_rows = tf.where(one_row, batch, 0)
    split_rows = batch - batched_rows

    projs = tf.stack(projs, axis=1)  # time, n, batch, 4u

    def pre_activations(t, h):
        # one row: one BatchMatMul for all directions; several rows: one MatMul per direction
        batched = tf.matmul(h[:, :batched_rows], stacked)
        split = tf.stack([tf.matmul(h[d, :split_rows], kernels[d]) for d in range(n)])
        products = tf.concat([batched, split], axis=1)
        return projs[t] + products + bias

    def body(t, h, c, outputs):
        i, f, g, o = tf.split(pre_activations(t, h), 4, axis=-1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        return t + 1, h, c, outputs.write(t, h)

    zeros = tf.zeros([n, batch, units], dtype)
    outputs = tf.TensorArray(dtype, size=steps)
    _, _, _, outputs = tf.while_loop(
        lambda t, *_: t < steps, body, (tf.constant(0), zeros, zeros, outputs)
    )
    out = outputs.stack()  # time, n, batch, u
    if return_sequences:
        parts = [out[:, 0]]
        if n == 2:
            parts.append(tf.reverse_sequence(out[:, 1], lengths, seq_axis=0, batch_axis=1))
        seq = tf.transpose(tf.concat(parts, axis=-1), [1, 0, 2])
        real = tf.sequence_mask(lengths, steps)[:, :, None]
        if n == 2:
            return tf.where(real, seq, tf.zeros_like(seq))
        # Keras's unidirectional layer repeats the last real output over the padding.
        last = tf.gather(seq, tf.maximum(lengths - 1, 0), axis=1, batch_dims=1)
        last = tf.where(lengths[:, None] > 0, last, tf.zeros_like(last))
        return tf.where(real, seq, last[:, None, :])
    # Each direction's state after the row's last real step (time lengths - 1).
    out = tf.transpose(out, [2, 0, 1, 3])  # batch, time, n, u
    last = tf.gather(out, tf.maximum(lengths - 1, 0), axis=1, batch_dims=1)  # batch, n, u
    last = tf.reshape(last, [batch, n * units])
    return tf.where(lengths[:, None] > 0, last, tf.zeros_like(last))
