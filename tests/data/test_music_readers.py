"""Tests for nlpkit.data.music (readers) and nlpkit.data.music_events (representations)."""

import json
import sys

import numpy as np
import pytest

music21 = pytest.importorskip("music21")

from nlpkit.data import music_events as me  # noqa: E402
from nlpkit.data.music import (  # noqa: E402
    SkippedMusicWarning,
    read_corpus,
    read_jsb_json,
    read_music,
)
from nlpkit.errors import DataFormatError, MissingDependencyError  # noqa: E402


def _notes(score):
    """(midi, offset, quarterLength) of every sounding pitch, chords expanded, sorted."""
    out = []
    for n in score.flatten().notes:
        for p in n.pitches:
            out.append((int(p.midi), float(n.offset), float(n.quarterLength)))
    return sorted(out)


def _melody_score():
    """Soprano: C4 q, rest e, E4 e, chord (C4 G4) h, gap then D5 dotted-q. Bass: one low note."""
    m = music21
    sop = m.stream.Part()
    sop.partName = "Soprano"
    sop.insert(0.0, m.note.Note("C4", quarterLength=1.0))
    sop.insert(1.5, m.note.Note("E4", quarterLength=0.5))
    sop.insert(2.0, m.chord.Chord(["C4", "G4"], quarterLength=2.0))
    sop.insert(5.0, m.note.Note("D5", quarterLength=1.5))
    bass = m.stream.Part()
    bass.partName = "Bass"
    bass.insert(0.0, m.note.Note("C3", quarterLength=4.0))
    score = m.stream.Score()
    score.insert(0, sop)
    score.insert(0, bass)
    return score


def _drum_part():
    d = music21.stream.Part()
    d.insert(0, music21.instrument.BassDrum())
    d.append(music21.note.Unpitched(displayName="C4"))
    d.append(music21.note.Unpitched(displayName="D4"))
    return d


# ---------------------------------------------------------------------------- tokens
def test_tokenise_values_and_detokenise_round_trip():
    score = _melody_score()
    tokens = me.tokenise(score)
    assert tokens == ["n60:1", "r:0.5", "n64:0.5", "n67:2", "r:1", "n74:1.5"]
    back = me.detokenise(tokens)
    assert _notes(back) == [(60, 0.0, 1.0), (64, 1.5, 0.5), (67, 2.0, 2.0), (74, 5.0, 1.5)]
    assert me.tokenise(back) == tokens
    # the other part, by name and by index
    assert me.tokenise(score, "Bass") == ["n48:4"]
    assert me.tokenise(score, 1) == ["n48:4"]


def test_tokenise_quantises_caps_and_skips_drums():
    m = music21
    part = m.stream.Part()
    part.insert(0.0, m.note.Note(60, quarterLength=0.3))  # -> 0.25
    part.insert(0.3, m.note.Note(62, quarterLength=12.0))  # onset -> 0.25, capped at 8
    score = m.stream.Score()
    score.insert(0, _drum_part())
    score.insert(0, part)
    assert me.tokenise(score, grid=0.25, max_duration=8.0) == ["n60:0.25", "n62:8"]


def test_tokenise_bad_part_and_bad_token():
    with pytest.raises(ValueError, match="`part` must name a pitched part"):
        me.tokenise(_melody_score(), "Alto")
    with pytest.raises(ValueError, match="`part` must be an index below 2"):
        me.tokenise(_melody_score(), 5)
    with pytest.raises(ValueError, match="Expected an event token like 'n60:1'.*Received: 'x60'"):
        me.detokenise(["n60:1", "x60"])
    with pytest.raises(ValueError, match="Received: 'n200:1'"):
        me.token_to_event("n200:1")


def test_detokenise_stops_at_end_and_ignores_specials():
    back = me.detokenise(["<start>", "n60:1", "<pad>", "n62:2", "<end>", "n64:1"])
    assert _notes(back) == [(60, 0.0, 1.0), (62, 1.0, 2.0)]


def test_transpose_tokens():
    assert me.transpose_tokens(["n60:1", "r:0.5", "n72:2"], 3) == ["n63:1", "r:0.5", "n75:2"]
    assert me.transpose_tokens(["n126:1"], 3) is None


# ---------------------------------------------------------------------------- piano roll
def test_score_to_pianoroll_values():
    roll = me.score_to_pianoroll(_melody_score(), step_length=0.5)
    steps = me.pianoroll_to_steps(roll)
    # bass C3 (48) covers the first 8 half-beat steps; D5 (74) from 5.0 to 6.5
    assert len(steps) == 13
    assert steps[0] == [48, 60] and steps[1] == [48, 60]
    assert steps[2] == [48] and steps[3] == [48, 64]
    assert steps[4] == [48, 60, 67] and steps[7] == [48, 60, 67]
    assert steps[8] == [] and steps[9] == []
    assert steps[10] == steps[11] == steps[12] == [74]
    assert roll.shape == (13, 88) and roll.dtype == np.uint8


def test_steps_round_trip_and_range_check():
    steps = [[60, 64, 67], [], [21, 108]]
    roll = me.steps_to_pianoroll(steps)
    assert roll.sum() == 5 and roll[2, 0] == 1 and roll[2, 87] == 1
    assert me.pianoroll_to_steps(roll) == steps
    with pytest.raises(ValueError, match=r"step 1 must hold MIDI pitches in 21..108.*Received: 12"):
        me.steps_to_pianoroll([[60], [12]])


def test_pianoroll_to_midi_reparses_with_expected_notes(tmp_path):
    steps = [[60, 64], [60, 64], [67], [], [72]]
    score = me.pianoroll_to_stream(me.steps_to_pianoroll(steps), step_length=1.0)
    path = me.save_midi(score, tmp_path / "roll.mid")
    parsed = music21.converter.parse(str(path))
    assert _notes(parsed) == [(60, 0.0, 2.0), (64, 0.0, 2.0), (67, 2.0, 1.0), (72, 4.0, 1.0)]
    xml = me.save_musicxml(score, tmp_path / "roll.musicxml")
    assert _notes(music21.converter.parse(str(xml))) == _notes(parsed)


def test_decode_generated_both_forms():
    tok = me.decode_generated(
        {"ids": np.zeros((2, 2)), "tokens": np.array([[b"n60:1", b"r:1"], [b"n62:2", b"n64:1"]])}
    )
    assert [_notes(s) for s in tok] == [[(60, 0.0, 1.0)], [(62, 0.0, 2.0), (64, 2.0, 1.0)]]
    roll = np.zeros((1, 3, 88), np.int32)
    roll[0, 1:, 60 - 21] = 1
    (s,) = me.decode_generated({"piano_roll": roll}, step_length=0.5)
    assert _notes(s) == [(60, 0.5, 1.0)]
    with pytest.raises(ValueError, match="'tokens' or 'piano_roll'"):
        me.decode_generated({"logits": roll})


def test_missing_music21_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "music21", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "nlpkit\[music\]"'):
        me.require_music21()


# ---------------------------------------------------------------------------- readers
def _write_melody_midi(path):
    m = music21
    s = m.stream.Score()
    p = m.stream.Part()
    p.insert(0, m.instrument.Piano())  # without an instrument music21 writes it on the drum channel
    p.append([m.note.Note(60), m.note.Note(62, quarterLength=2)])
    s.insert(0, p)
    s.insert(0, _drum_part())
    s.write("midi", fp=str(path))


def test_read_music_skips_bad_and_empty_files_and_drops_drums(tmp_path):
    _write_melody_midi(tmp_path / "good.mid")
    (tmp_path / "broken.mid").write_bytes(b"MThd this is not midi")
    (tmp_path / "empty.mid").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("ignored: not a music suffix")
    with pytest.warns(SkippedMusicWarning, match=r"Skipped 2 file\(s\).*broken\.mid.*empty\.mid"):
        scores = read_music(tmp_path)
    assert len(scores) == 1
    assert len(scores[0].parts) == 1  # the drum track is gone
    assert _notes(scores[0]) == [(60, 0.0, 1.0), (62, 1.0, 2.0)]
    assert scores[0].nlpkit_source.endswith("good.mid")


def test_read_music_nothing_parsed_and_missing_paths(tmp_path):
    (tmp_path / "broken.mid").write_bytes(b"garbage")
    with (
        pytest.warns(SkippedMusicWarning),
        pytest.raises(ValueError, match="No music could be read"),
    ):
        read_music(tmp_path / "broken.mid")
    empty_dir = tmp_path / "nothing"
    empty_dir.mkdir()
    with pytest.raises(FileNotFoundError, match="No music files"):
        read_music(empty_dir)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_music(tmp_path / "absent.mid")


def test_read_abc_with_two_tunes(tmp_path):
    abc = "X:1\nT:One\nM:4/4\nL:1/4\nK:C\nC D E F|\n\nX:2\nT:Two\nM:4/4\nL:1/4\nK:C\nG A B c|\n"
    (tmp_path / "tunes.abc").write_text(abc)
    scores = read_music(tmp_path / "tunes.abc")
    assert [me.tokenise(s) for s in scores] == [
        ["n60:1", "n62:1", "n64:1", "n65:1"],
        ["n67:1", "n69:1", "n71:1", "n72:1"],
    ]


def test_read_corpus_chorales_offline():
    scores = read_corpus("bach/chorales", limit=2)
    assert len(scores) == 2
    assert [len(s.parts) for s in scores] == [4, 4]
    with pytest.raises(ValueError, match="`limit` must be a positive integer"):
        read_corpus(limit=0)


def test_read_jsb_json(tmp_path):
    good = tmp_path / "jsb.json"
    good.write_text(json.dumps({"train": [[[60, 64], [62]]], "valid": [[[21, 108]]]}))
    data = read_jsb_json(good)
    assert data["train"][0] == [[60, 64], [62]]
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"train": [\n[[60]],\n oops]}')
    with pytest.raises(DataFormatError, match=r"bad\.json, line 3: not valid JSON"):
        read_jsb_json(bad_json)
    bad_pitch = tmp_path / "pitch.json"
    bad_pitch.write_text(json.dumps({"train": [[[60], [200]]]}))
    with pytest.raises(DataFormatError, match=r"pitch\.json: split 'train', piece 0, step 1"):
        read_jsb_json(bad_pitch)
