"""Musical event representations: melodic event tokens and polyphonic piano-roll steps.

Two representations of a score, both reversible back to a music21 stream (and so to MIDI):

(a) **Melodic event tokens.** One part (by default the first pitched part that has notes, e.g. the
    soprano of a chorale) is reduced to a single line (the highest note wins where notes overlap)
    and written as one token per event: ``"n60:1"`` is MIDI pitch 60 for one quarter note,
    ``"r:0.5"`` an eighth rest. Durations are quantised to a grid (default a sixteenth, 0.25
    quarter notes) and capped at `max_duration`. `transpose_tokens` shifts the pitches for
    transposition augmentation.

(b) **Piano-roll steps.** Every pitched, non-drum part is sampled every `step_length` quarter
    notes into a multi-hot `(steps, 88)` array over the 88 piano keys (MIDI 21..108); a note covers
    the steps from its rounded onset to its rounded end (at least one step). Consecutive active
    steps of a key become one held note when turned back into a stream.

`decode_generated` is the documented decoder from the output of an exported `MusicGenerator`'s
`generate` signature to music21 streams (and `save_midi` to MIDI files).

music21 is an optional dependency (`pip install "nlpkit[music]"`), imported only when a function
that needs it is called.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlpkit.errors import MissingDependencyError

__all__ = [
    "PIANO_LOW",
    "PIANO_HIGH",
    "NUM_KEYS",
    "SPECIAL_TOKENS",
    "require_music21",
    "is_drum_part",
    "pitched_parts",
    "stream_to_events",
    "event_to_token",
    "token_to_event",
    "tokenise",
    "detokenise",
    "transpose_tokens",
    "score_to_pianoroll",
    "steps_to_pianoroll",
    "pianoroll_to_steps",
    "pianoroll_to_stream",
    "decode_generated",
    "save_midi",
    "save_musicxml",
    "timing_metadata",
    "DEFAULT_TEMPO",
]

PIANO_LOW = 21  # A0
PIANO_HIGH = 108  # C8
NUM_KEYS = PIANO_HIGH - PIANO_LOW + 1  # 88
#: Reserved token strings, ids 0..3 in a `MusicGenerator` vocabulary, in the order of the shared
#: special ids (`nlpkit.text.special_ids`: pad 0, unknown 1, start 2, end 3). Vocabularies saved
#: before used `<pad> <start> <end> <unk>`; `MusicGenerator` reads their ids from the saved list.
SPECIAL_TOKENS = ("<pad>", "<unk>", "<start>", "<end>")
#: Quarter notes per minute of a MIDI file with no tempo mark (the MIDI standard's default, and
#: what music21 writes for `MusicGenerator.generate(tempo=None)`).
DEFAULT_TEMPO = 120.0

_TOKEN_RE = re.compile(r"^(?:n(\d{1,3})|r):(\d+(?:\.\d+)?)$")


def require_music21(feature: str = "Reading and writing music"):
    """Import and return `music21`, or raise `MissingDependencyError` naming the `music` extra."""
    try:
        import music21
    except ImportError as e:
        raise MissingDependencyError(package="music21", extra="music", feature=feature) from e
    return music21


# --------------------------------------------------------------------------- parts
def is_drum_part(part) -> bool:
    """True if `part` is a drum/percussion track (percussion instrument, MIDI channel 10, or
    only unpitched notes)."""
    m21 = require_music21()
    for inst in part.recurse().getElementsByClass(m21.instrument.Instrument):
        if isinstance(inst, m21.instrument.UnpitchedPercussion):
            return True
        if getattr(inst, "midiChannel", None) == 9:  # channel 10, counted from 0
            return True
    notes = list(part.recurse().notes)
    return bool(notes) and all(
        isinstance(n, (m21.note.Unpitched, m21.percussion.PercussionChord)) for n in notes
    )


def _pitched_notes(part) -> list[tuple[float, float, list[int]]]:
    """(offset, duration, MIDI pitches) of every pitched note or chord in `part`."""
    m21 = require_music21()
    out = []
    for n in part.flatten().notes:
        if isinstance(n, (m21.note.Unpitched, m21.percussion.PercussionChord)):
            continue
        pitches = [int(p.midi) for p in n.pitches]
        if not pitches or n.quarterLength <= 0:  # grace notes have no duration
            continue
        out.append((float(n.offset), float(n.quarterLength), pitches))
    return out


def pitched_parts(score) -> list:
    """The parts of `score` that are not drum tracks and hold at least one pitched note.

    A stream without parts (a single melody) counts as one part.
    """
    m21 = require_music21()
    parts = list(score.parts) if isinstance(score, m21.stream.Score) else []
    if not parts:
        parts = [score]
    return [p for p in parts if not is_drum_part(p) and _pitched_notes(p)]


# --------------------------------------------------------------------------- tokens
def _quantise(value: float, grid: float) -> float:
    return round(value / grid) * grid


def stream_to_events(
    score, part: int | str | None = None, *, grid: float = 0.25, max_duration: float = 8.0
) -> list[tuple[int | None, float]]:
    """Reduce one part of `score` to a melodic line of `(midi_pitch or None for a rest, duration)`.

    Args:
        score: A music21 `Score`, `Part` or other stream.
        part: Which part: an index into the pitched, non-drum parts, a part name (e.g.
            "Soprano"), or None for the first pitched part.
        grid: Onsets and durations are rounded to multiples of this many quarter notes.
        max_duration: Longer notes and rests are shortened to this many quarter notes.

    Returns:
        The events in time order; gaps become rests, chords and overlapping notes keep their
        highest pitch, notes are cut where the next note starts. Empty if the part has no notes.

    Raises:
        ValueError: `part` names no pitched part of the score.
    """
    parts = pitched_parts(score)
    if not parts:
        return []
    if part is None:
        chosen = parts[0]
    elif isinstance(part, str):
        named = [p for p in parts if (getattr(p, "partName", None) or "").lower() == part.lower()]
        if not named:
            names = [getattr(p, "partName", None) for p in parts]
            raise ValueError(
                f"`part` must name a pitched part of the score {names}. Received: part={part!r}"
            )
        chosen = named[0]
    else:
        if not -len(parts) <= int(part) < len(parts):
            raise ValueError(
                f"`part` must be an index below {len(parts)} (the score's pitched parts). "
                f"Received: part={part!r}"
            )
        chosen = parts[int(part)]
    onsets: dict[float, tuple[float, int]] = {}
    for offset, dur, pitches in _pitched_notes(chosen):
        on = _quantise(offset, grid)
        top = max(pitches)
        if on not in onsets or top > onsets[on][1]:
            onsets[on] = (dur, top)
    events: list[tuple[int | None, float]] = []
    cursor = 0.0
    times = sorted(onsets)
    for i, on in enumerate(times):
        if on < cursor:  # still inside the previous (longer) note
            continue
        if on > cursor:
            events.append((None, min(on - cursor, max_duration)))
        dur, pitch = onsets[on]
        end = _quantise(on + dur, grid)
        if i + 1 < len(times):
            end = min(end, times[i + 1])
        dur = min(max(end - on, grid), max_duration)
        events.append((pitch, dur))
        cursor = on + dur
    return events


def _format_duration(d: float) -> str:
    text = f"{d:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def event_to_token(event: tuple[int | None, float]) -> str:
    """`(60, 1.0)` -> `"n60:1"`, `(None, 0.5)` -> `"r:0.5"`."""
    pitch, dur = event
    return (
        f"r:{_format_duration(dur)}" if pitch is None else f"n{int(pitch)}:{_format_duration(dur)}"
    )


def token_to_event(token: str) -> tuple[int | None, float]:
    """Inverse of `event_to_token`.

    Raises:
        ValueError: `token` is not an event token.
    """
    m = _TOKEN_RE.match(token)
    if not m or float(m.group(2)) <= 0 or (m.group(1) is not None and int(m.group(1)) > 127):
        raise ValueError(
            f"Expected an event token like 'n60:1' (MIDI pitch 0-127, duration in quarter notes) "
            f"or 'r:0.5' (a rest). Received: {token!r}"
        )
    return (None if m.group(1) is None else int(m.group(1))), float(m.group(2))


def tokenise(
    score, part: int | str | None = None, *, grid: float = 0.25, max_duration: float = 8.0
) -> list[str]:
    """Melodic event tokens of one part of `score` (see `stream_to_events` for the arguments).

    Example:
        >>> import music21
        >>> s = music21.stream.Stream([music21.note.Note("C4", quarterLength=1),
        ...                            music21.note.Rest(quarterLength=0.5),
        ...                            music21.note.Note("E4", quarterLength=0.5)])
        >>> tokenise(s)
        ['n60:1', 'r:0.5', 'n64:0.5']
    """
    return [
        event_to_token(e)
        for e in stream_to_events(score, part, grid=grid, max_duration=max_duration)
    ]


def detokenise(tokens: Sequence[str], *, tempo: float | None = None):
    """Build a music21 `Score` (one part) from event tokens.

    Special tokens are ignored except `"<end>"`, which stops the piece.

    Args:
        tokens: Event tokens (`"n60:1"`, `"r:0.5"`), e.g. from `tokenise` or `generate`.
        tempo: Optional tempo in quarter notes per minute, written as a metronome mark.

    Returns:
        A `music21.stream.Score`.

    Raises:
        ValueError: a token is neither special nor an event token.
    """
    m21 = require_music21()
    part = m21.stream.Part()
    if tempo:
        part.insert(0, m21.tempo.MetronomeMark(number=float(tempo)))
    offset = 0.0
    for tok in tokens:
        if isinstance(tok, bytes):
            tok = tok.decode("utf-8")
        if tok == "<end>":
            break
        if tok in SPECIAL_TOKENS:
            continue
        pitch, dur = token_to_event(tok)
        el = (
            m21.note.Rest(quarterLength=dur)
            if pitch is None
            else m21.note.Note(pitch, quarterLength=dur)
        )
        part.insert(offset, el)
        offset += dur
    score = m21.stream.Score()
    score.insert(0, part)
    return score


def transpose_tokens(tokens: Sequence[str], semitones: int) -> list[str] | None:
    """Shift every pitch token by `semitones`; None if a pitch would leave MIDI range 0-127."""
    out = []
    for tok in tokens:
        if tok in SPECIAL_TOKENS or tok.startswith("r:"):
            out.append(tok)
            continue
        pitch, dur = token_to_event(tok)
        pitch += int(semitones)
        if not 0 <= pitch <= 127:
            return None
        out.append(event_to_token((pitch, dur)))
    return out


# --------------------------------------------------------------------------- piano roll
def score_to_pianoroll(score, *, step_length: float = 1.0) -> np.ndarray:
    """Multi-hot piano roll of all pitched, non-drum parts of `score`.

    Args:
        score: A music21 stream.
        step_length: Quarter notes per step (1.0: quarter-note steps, as in JSB Chorales).

    Returns:
        A `(steps, 88)` uint8 array; column k is MIDI pitch 21 + k. Notes outside the piano range
        are dropped. A note covers the steps from round(onset / step) to round(end / step),
        at least one step.
    """
    notes = [n for p in pitched_parts(score) for n in _pitched_notes(p)]
    if not notes:
        return np.zeros((0, NUM_KEYS), np.uint8)
    spans = []
    for offset, dur, pitches in notes:
        start = int(round(offset / step_length))
        end = max(start + 1, int(round((offset + dur) / step_length)))
        spans.append((start, end, pitches))
    roll = np.zeros((max(e for _, e, _ in spans), NUM_KEYS), np.uint8)
    for start, end, pitches in spans:
        for p in pitches:
            if PIANO_LOW <= p <= PIANO_HIGH:
                roll[start:end, p - PIANO_LOW] = 1
    return roll


def steps_to_pianoroll(steps: Sequence[Sequence[int]], *, where: str = "steps") -> np.ndarray:
    """`[[60, 64], [], [62]]` (MIDI pitches sounding at each step) -> a `(3, 88)` uint8 array.

    Raises:
        ValueError: a pitch is not an integer in 21..108.
    """
    roll = np.zeros((len(steps), NUM_KEYS), np.uint8)
    for t, chord in enumerate(steps):
        for p in chord:
            if (
                isinstance(p, bool)
                or not isinstance(p, (int, np.integer))
                or not PIANO_LOW <= p <= PIANO_HIGH
            ):
                raise ValueError(
                    f"{where}: step {t} must hold MIDI pitches in {PIANO_LOW}..{PIANO_HIGH} "
                    f"(the 88 piano keys). Received: {p!r}"
                )
            roll[t, int(p) - PIANO_LOW] = 1
    return roll


def pianoroll_to_steps(roll) -> list[list[int]]:
    """Inverse of `steps_to_pianoroll`: the sorted MIDI pitches active at each step."""
    roll = np.asarray(roll)
    return [[int(k) + PIANO_LOW for k in np.flatnonzero(row > 0.5)] for row in roll]


def pianoroll_to_stream(roll, *, step_length: float = 1.0, tempo: float | None = None):
    """A music21 `Score` from a `(steps, 88)` piano roll; runs of active steps become held notes.

    Args:
        roll: Array-like of shape `(steps, 88)`, values > 0.5 are "on".
        step_length: Quarter notes per step.
        tempo: Optional tempo in quarter notes per minute.

    Returns:
        A `music21.stream.Score` with one part; simultaneous notes of equal length are chords.
    """
    m21 = require_music21()
    roll = np.asarray(roll) > 0.5
    if roll.ndim != 2 or roll.shape[1] != NUM_KEYS:
        raise ValueError(f"`roll` must have shape (steps, {NUM_KEYS}). Received shape {roll.shape}")
    groups: dict[tuple[int, int], list[int]] = {}
    for k in range(NUM_KEYS):
        col = roll[:, k]
        t = 0
        while t < len(col):
            if col[t]:
                start = t
                while t < len(col) and col[t]:
                    t += 1
                groups.setdefault((start, t), []).append(k + PIANO_LOW)
            else:
                t += 1
    part = m21.stream.Part()
    if tempo:
        part.insert(0, m21.tempo.MetronomeMark(number=float(tempo)))
    for (start, end), pitches in sorted(groups.items()):
        ql = (end - start) * step_length
        el = (
            m21.note.Note(pitches[0], quarterLength=ql)
            if len(pitches) == 1
            else m21.chord.Chord(pitches, quarterLength=ql)
        )
        part.insert(start * step_length, el)
    if len(roll) and not roll[-1].any():  # keep trailing silence so the length survives
        last_on = max((e for _, e in groups), default=0)
        part.insert(
            last_on * step_length, m21.note.Rest(quarterLength=(len(roll) - last_on) * step_length)
        )
    score = m21.stream.Score()
    score.insert(0, part)
    return score


# --------------------------------------------------------------------------- export decoding
def decode_generated(
    outputs: dict[str, Any], *, step_length: float = 1.0, tempo: float | None = None
) -> list:
    """Turn the output of an exported `MusicGenerator`'s `generate` signature into music21 scores.

    The SavedModel returns `{"ids", "tokens"}` (token models: `(batch, steps)` event ids and
    their token strings) or `{"piano_roll"}` (piano-roll models: `(batch, steps, 88)` 0/1).
    This function needs no vocabulary: token models return the token strings themselves.

    Args:
        outputs: The signature's output dict (tensors or NumPy arrays).
        step_length: Quarter notes per piano-roll step (the model's `step_length`).
        tempo: Optional tempo in quarter notes per minute.

    Returns:
        One `music21.stream.Score` per batch row; write one with `save_midi(score, path)`.

    Example:
        With an export, `out = tf.saved_model.load("saved_models/music/1").signatures["generate"](
        primer=tf.zeros([1, 0], tf.int32), steps=tf.constant(32), temperature=tf.constant(1.0),
        seed=tf.constant(7, tf.int64))`; here an output of the same shape, written by hand:

        >>> import numpy as np
        >>> out = {"tokens": np.array([[b"n60:1", b"n64:1", b"r:1", b"n67:2"]])}
        >>> (score,) = decode_generated(out)
        >>> [n.pitch.midi for n in score.flatten().notes]
        [60, 64, 67]
        >>> save_midi(score, "sample.mid").name
        'sample.mid'
    """
    if "tokens" in outputs:
        rows = np.asarray(outputs["tokens"])
        return [
            detokenise(
                [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in row], tempo=tempo
            )
            for row in rows
        ]
    if "piano_roll" in outputs:
        return [
            pianoroll_to_stream(r, step_length=step_length, tempo=tempo)
            for r in np.asarray(outputs["piano_roll"])
        ]
    raise ValueError(
        "`outputs` must be the dict returned by a MusicGenerator export's `generate` signature, "
        f"with a 'tokens' or 'piano_roll' entry. Received keys: {sorted(outputs)}"
    )


def save_midi(score, path: str | os.PathLike) -> Path:
    """Write `score` as a standard MIDI file and return the path."""
    require_music21("Writing MIDI")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    score.write("midi", fp=str(path))
    return path


def save_musicxml(score, path: str | os.PathLike) -> Path:
    """Write `score` as MusicXML and return the path."""
    require_music21("Writing MusicXML")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    score.write("musicxml", fp=str(path))
    return path


# --------------------------------------------------------------------------- timing
def timing_metadata(config: dict[str, Any]) -> dict[str, Any]:
    """How long one generated event lasts, from a `MusicGenerator` configuration
    (`get_config()`): what its export writes to `assets.extra/music.json`, and what the server
    and its demo page read back to draw piano rolls and write MIDI files.

    Piano-roll models: every step lasts `step_length` quarter notes (`seconds_per_step` at the
    default MIDI tempo `DEFAULT_TEMPO`). Token models: each token carries its own duration in
    quarter notes (`n60:0.5`), rounded to `grid`; `step_length` is None.

    Example:
        >>> timing_metadata({"representation": "piano_roll", "step_length": 0.5})["seconds_per_step"]
        0.25
    """
    representation = config.get("representation", "tokens")
    step = float(config.get("step_length", 1.0)) if representation == "piano_roll" else None
    return {
        "representation": representation,
        "time_unit": "quarter_note",
        "step_length": step,
        "grid": None if step is not None else float(config.get("grid", 0.25)),
        "tempo_qpm": DEFAULT_TEMPO,
        "seconds_per_step": None if step is None else step * 60.0 / DEFAULT_TEMPO,
    }
