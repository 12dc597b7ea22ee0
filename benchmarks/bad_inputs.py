"""Census of bad inputs (issue 15): try a fixed list of bad inputs on every reader, pipeline and
exported signature, and count the outcomes.

Each case is classified as:

- "defined result": a result came back and it is the documented one (checked by the case);
- "clear error": a ValueError/TypeError/FileNotFoundError (nlpkit's DataFormatError,
  IntegrityError and NotFittedError are ValueErrors) or TensorFlow's InvalidArgumentError whose
  message names the argument or the file;
- "unexpected": any other exception, an error whose message names neither, a result that is not
  the documented one, or a case that ran past its time limit.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bad_inputs.py [--no-write]

Tiny pipelines are trained in the script (tests/pipelines/tiny.py); nothing is downloaded.
"""

# ruff: noqa: B023 - every lambda is called at once by case(), inside its loop iteration

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import ROOT, machine_line, write_section  # noqa: E402

_spec = importlib.util.spec_from_file_location("tiny", ROOT / "tests" / "pipelines" / "tiny.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

TIMEOUT_S = 60
VERBOSE = "-v" in sys.argv  # print the message of each clear error too
CLEAR_TYPES: tuple = (ValueError, TypeError, FileNotFoundError)
COUNTS: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
UNEXPECTED: list[tuple[str, str, str]] = []
ORDER: list[tuple[str, str]] = []  # (kind, row) in first-seen order


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def case(kind: str, row: str, name: str, fn, *, names=(), check=None, error_ok=True):
    """Run `fn()` and classify its outcome.

    names: strings of which one must appear in an error message (the argument or the file).
    check: called with the result; returns None when it is the documented result, else a reason.
        Without `check`, a returned result is "unexpected" (the case expects an error).
    error_ok: False when the documented outcome is a result, so that any error is unexpected.
    """
    if (kind, row) not in ORDER:
        ORDER.append((kind, row))
    COUNTS[row]["cases"] += 1
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    start = time.perf_counter()
    outcome, why = "unexpected", ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn()
        signal.alarm(0)
        if check is None:
            why = f"returned {_short(result)} where an error was expected"
        else:
            reason = check(result)
            outcome, why = ("defined", "") if reason is None else ("unexpected", reason)
    except _Timeout:
        why = f"no answer within {TIMEOUT_S} s"
    except Exception as e:  # noqa: BLE001 - classifying every exception is the point
        signal.alarm(0)
        msg = getattr(e, "message", None) or str(e)
        msg = " ".join(msg.split())
        tf_invalid = type(e).__name__ == "InvalidArgumentError"
        if "REPLACED BY _Timeout" in msg:  # the alarm fired inside a TensorFlow op
            original = msg.split("ORIGINAL ", 1)[1].split(" ", 1)[0]
            why = f"no answer within {TIMEOUT_S} s, then {original}"
        elif not isinstance(e, CLEAR_TYPES) and not tf_invalid:
            why = f"{type(e).__name__}: {msg[:200]}"
        elif not error_ok:
            why = f"raised {type(e).__name__}: {msg[:200]} where a result is documented"
        elif names and not any(n.lower() in msg.lower() for n in names):
            why = f"{type(e).__name__} names none of {list(names)}: {msg[:200]}"
        else:
            outcome, why = "clear", f"{type(e).__name__}: {msg[:160]}"
    finally:
        signal.alarm(0)
    elapsed = time.perf_counter() - start
    if outcome == "defined" and elapsed > TIMEOUT_S:
        outcome, why = "unexpected", f"took {elapsed:.0f} s"
    COUNTS[row][outcome] += 1
    if outcome == "unexpected":
        UNEXPECTED.append((row, name, why))
    if outcome == "clear" and not VERBOSE:
        why = ""
    print(f"[{outcome:10s}] {row} / {name}" + (f": {why}" if why else ""), flush=True)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def equals(expected):
    def check(result):
        return None if result == expected else f"returned {_short(result)}, not {_short(expected)}"

    return check


def empty_result(result):
    """An empty file reads as nothing: an empty list / tuple of empty lists / empty string."""

    def is_empty(v):
        if isinstance(v, (tuple, list)) and v and all(isinstance(x, (list, tuple)) for x in v):
            return all(len(x) == 0 for x in v)
        try:
            return len(v) == 0
        except TypeError:
            return False

    return None if is_empty(result) else f"returned {_short(result)} for an empty file"


# ------------------------------------------------------------------------------ readers
def readers(tmp: Path) -> None:
    from nlpkit.data import classification, conll, music, parallel, text_lines
    from nlpkit.embeddings import loaders

    def write(name: str, data: str | bytes) -> Path:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)
        return path

    def vectors(kv):
        return {w: [round(float(x), 3) for x in kv[w]] for w in kv.index_to_key}

    # row: (suffix, good text, reader(path), normaliser of the result for comparisons,
    #       {bad case name: (content bytes|str, expectation)})  expectation: "error" or a check
    good_csv = 'text,label\n"Great, really",pos\nDull,neg\n'
    good_tsv = "text\tlabel\nGreat\tpos\nDull\tneg\n"
    good_jsonl = '{"text": "Great", "label": "pos"}\n{"text": "Dull", "label": "neg"}\n'
    good_conll = "Alice B-PER\nlives O\n\nBob B-PER\n"
    good_ft = "__label__pos Great film\n__label__neg Dull\n"
    good_lines = "first line\nsecond line\n"
    good_tsv_pairs = "the cat\tdie Katze\na dog\tein Hund\n"
    good_jsb = json.dumps({"train": [[[60, 64], [62]]], "valid": [], "test": []})
    good_glove = "the 0.1 0.2\ncat 0.3 0.4\n"
    good_w2v = "2 2\nthe 0.1 0.2\ncat 0.3 0.4\n"

    specs = {
        "read_csv (CSV)": (
            ".csv",
            good_csv,
            lambda p: classification.read_csv(p),
            {
                "a row with an extra field": (good_csv + "x,pos,extra\n", "error"),
                "a row with a missing field": (good_csv + "lonely\n", "error"),
                "an empty label": (good_csv + "Fine,\n", "error"),
                "an unclosed quote": ('text,label\n"Great, really,pos\nDull,neg\n', "error"),
                "no text column": ("review,label\nGreat,pos\n", "error"),
                "a header only": ("text,label\n", empty_result),
                "a NUL byte in a field": ("text,label\nGr\x00eat,pos\n", "either"),
            },
        ),
        "read_csv (TSV)": (
            ".tsv",
            good_tsv,
            lambda p: classification.read_csv(p),
            {
                "a row with an extra field": (good_tsv + "x\tpos\textra\n", "error"),
                "a row with a missing field": (good_tsv + "lonely\n", "error"),
                "commas instead of tabs": ("text,label\nGreat,pos\n", "error"),
                "no label column": ("text\tsentiment\nGreat\tpos\n", "error"),
            },
        ),
        "read_jsonl": (
            ".jsonl",
            good_jsonl,
            lambda p: classification.read_jsonl(p),
            {
                "a line that is not JSON": (good_jsonl + "{not json\n", "error"),
                "a line that is a list": (good_jsonl + "[1, 2]\n", "error"),
                "a missing text field": (good_jsonl + '{"label": "pos"}\n', "error"),
                "a null label": (good_jsonl + '{"text": "x", "label": null}\n', "error"),
                "a text that is a number": (good_jsonl + '{"text": 5, "label": "pos"}\n', "error"),
                "a label that is a list": (good_jsonl + '{"text": "x", "label": [1]}\n', "error"),
                "blank lines": ("\n" + good_jsonl + "\n\n", "same"),
            },
        ),
        "read_conll": (
            ".conll",
            good_conll,
            lambda p: conll.read_conll(p),
            {
                "a line with only a token": ("Alice B-PER\nlives\n", "error"),
                "an invalid tag": ("Alice X-PER\n", "either"),
                "many blank lines": ("\n\n" + good_conll + "\n\n\n", "same"),
                "a -DOCSTART- line": ("-DOCSTART- -X- O O\n\n" + good_conll, "same"),
            },
        ),
        "read_fasttext": (
            ".txt",
            good_ft,
            lambda p: classification.read_fasttext(p),
            {
                "a line without a label": (good_ft + "no label here\n", "error"),
                "a label without text": (good_ft + "__label__pos\n", "either"),
            },
        ),
        "read_folder": None,  # folder cases below
        "text_lines.read_text": (".txt", good_lines, lambda p: text_lines.read_text(p), {}),
        "text_lines.read_lines": (".txt", good_lines, lambda p: text_lines.read_lines(p), {}),
        "read_parallel (TSV)": (
            ".tsv",
            good_tsv_pairs,
            lambda p: parallel.read_parallel(p),
            {
                "a line without a tab": (good_tsv_pairs + "no tab here\n", "error"),
                "a line with two tabs": (good_tsv_pairs + "a\tb\tc\n", "error"),
            },
        ),
        "read_parallel (two files)": None,  # cases below
        "read_jsb_json": (
            ".json",
            good_jsb,
            lambda p: music.read_jsb_json(p),
            {
                "not JSON": ("{train: ", "error"),
                "a list at the top": ("[1, 2]", "error"),
                "a step that is not a list": (json.dumps({"train": [[60, 62]]}), "error"),
                "a pitch that is a string": (json.dumps({"train": [[["C4"]]]}), "error"),
                "a pitch out of MIDI range": (json.dumps({"train": [[[300]]]}), "error"),
            },
        ),
        "read_music": None,  # cases below
        "embeddings.load (GloVe text)": (
            ".txt",
            good_glove,
            lambda p: vectors(loaders.load(p, format="glove")),
            {
                "a row with too few numbers": (good_glove + "dog 0.5\n", "error"),
                "a number that is not a number": (good_glove + "dog 0.5 abc\n", "error"),
            },
        ),
        "embeddings.load (word2vec text)": (
            ".txt",
            good_w2v,
            lambda p: vectors(loaders.load(p, format="word2vec")),
            {
                "a header that says 3 rows": (good_w2v.replace("2 2", "3 2", 1), "error"),
                "a header that is not numbers": ("x y\nthe 0.1 0.2\n", "error"),
            },
        ),
        "embeddings.load (word2vec binary)": None,  # cases below
    }

    for row, spec in specs.items():
        if spec is None:
            continue
        suffix, good, read, extra = spec
        stem = row.split()[0].replace(".", "_")
        good_path = write(f"{stem}/good{suffix}", good)
        expected = read(good_path)
        fname = lambda n: f"{stem}_{n}{suffix}"  # noqa: E731

        def file_case(name, data, expect, *, row=row, read=read, expected=expected):
            path = write(fname(name.replace(" ", "_")[:30]), data)
            names = (path.name,)
            if expect == "error":
                case("reader", row, name, lambda: read(path), names=names)
            elif expect == "same":
                case("reader", row, name, lambda: read(path), names=names, check=equals(expected))
            elif expect == "either":  # a documented result of any shape, or a clear error
                case("reader", row, name, lambda: read(path), names=names, check=lambda r: None)
            else:
                case("reader", row, name, lambda: read(path), names=names, check=expect)

        missing = tmp / "no_such_file.txt"
        case("reader", row, "a missing file", lambda: read(missing), names=(missing.name,))
        folder = tmp / f"{stem}_a_folder{suffix}"
        folder.mkdir(exist_ok=True)
        case(
            "reader", row, "a folder instead of a file", lambda: read(folder), names=(folder.name,)
        )
        file_case("an empty file", b"", empty_result if row != "read_jsb_json" else "error")
        bad = good.encode().replace(b"\n", b"\n\xff\xfe", 1)
        if b"\n" not in good.encode():  # a one-line file: the bad bytes after its first byte
            bad = good.encode()[:1] + b"\xff\xfe" + good.encode()[1:]
        file_case("invalid UTF-8 bytes", bad, "error")
        file_case("a UTF-8 BOM", b"\xef\xbb\xbf" + good.encode(), "same")
        file_case("CRLF line ends", good.replace("\n", "\r\n"), "same")
        blob = gzip.compress(good.encode() * 50)
        gz = write(f"{stem}_truncated{suffix}.gz", blob[: len(blob) // 2])
        case("reader", row, "a truncated gzip", lambda: read(gz), names=(gz.name,))
        gz_good = write(f"{stem}_whole{suffix}.gz", gzip.compress(good.encode()))
        gz_either = None if suffix != ".json" else "either"
        case(
            "reader",
            row,
            "a whole gzip",
            lambda: read(gz_good),
            names=(gz_good.name,),
            check=gz_either and (lambda r: None) or equals(expected),
        )
        for name, (data, expect) in extra.items():
            file_case(name, data, expect)

    # read_folder: class sub-folders of .txt files
    row = "read_folder"
    root = tmp / "folder_ok"
    write("folder_ok/pos/a.txt", "Great")
    write("folder_ok/neg/b.txt", "Dull")
    case(
        "reader",
        row,
        "a missing folder",
        lambda: classification.read_folder(tmp / "nope"),
        names=("nope",),
    )
    case(
        "reader",
        row,
        "a file instead of a folder",
        lambda: classification.read_folder(root / "pos" / "a.txt"),
        names=("a.txt",),
    )
    (tmp / "folder_empty").mkdir()
    case(
        "reader",
        row,
        "an empty folder",
        lambda: classification.read_folder(tmp / "folder_empty"),
        names=("folder_empty",),
        check=empty_result,
    )
    write("folder_bad/pos/a.txt", b"ok \xff")
    case(
        "reader",
        row,
        "invalid UTF-8 bytes",
        lambda: classification.read_folder(tmp / "folder_bad"),
        names=("a.txt",),
    )
    write("folder_bom/pos/a.txt", b"\xef\xbb\xbfGreat")
    write("folder_bom/neg/b.txt", "Dull")
    case(
        "reader",
        row,
        "a UTF-8 BOM",
        lambda: classification.read_folder(tmp / "folder_bom"),
        check=equals(classification.read_folder(root)),
    )
    write("folder_loose/a.txt", "no class folder")
    case(
        "reader",
        row,
        "files outside class folders",
        lambda: classification.read_folder(tmp / "folder_loose"),
        names=("folder_loose", "a.txt"),
        check=empty_result,
    )
    write("folder_empty_file/pos/a.txt", "")
    case(
        "reader",
        row,
        "an empty file",
        lambda: classification.read_folder(tmp / "folder_empty_file"),
        check=lambda r: None,
    )

    # read_parallel with two line-aligned files
    row = "read_parallel (two files)"
    src, tgt = write("par/src.txt", "a\nb\n"), write("par/tgt.txt", "x\ny\n")
    short = write("par/short.txt", "x\n")
    bad = write("par/bad.txt", b"x\n\xff\n")
    bom = write("par/bom.txt", b"\xef\xbb\xbfx\ny\n")
    rp = parallel.read_parallel
    case(
        "reader",
        row,
        "a missing target",
        lambda: rp(src, tmp / "par" / "none.txt"),
        names=("none.txt",),
    )
    case("reader", row, "a folder as target", lambda: rp(src, tmp / "par"), names=("par",))
    case(
        "reader",
        row,
        "files of different lengths",
        lambda: rp(src, short),
        names=("short.txt", "src.txt"),
    )
    case("reader", row, "invalid UTF-8 in the target", lambda: rp(src, bad), names=("bad.txt",))
    case(
        "reader", row, "a UTF-8 BOM in the target", lambda: rp(src, bom), check=equals(rp(src, tgt))
    )
    empty_a, empty_b = write("par/e1.txt", ""), write("par/e2.txt", "")
    case("reader", row, "two empty files", lambda: rp(empty_a, empty_b), check=empty_result)
    case(
        "reader",
        row,
        "max_examples=-1",
        lambda: rp(src, tgt, max_examples=-1),
        names=("max_examples",),
    )

    # read_music: MIDI/MusicXML/ABC files and folders
    row = "read_music"
    try:
        import music21  # noqa: F401

        has_music21 = True
    except ImportError:
        has_music21 = False
    if has_music21:
        abc = write("music/tune.abc", "X:1\nT:t\nM:4/4\nL:1/4\nK:C\nC D E F|G A B c|\n")
        good_scores = len(music.read_music(abc))
        case(
            "reader",
            row,
            "a missing file",
            lambda: music.read_music(tmp / "music" / "no.mid"),
            names=("no.mid",),
        )
        (tmp / "music_empty").mkdir()
        case(
            "reader",
            row,
            "a folder without music",
            lambda: music.read_music(tmp / "music_empty"),
            names=("music_empty",),
        )
        garbage = write("music_bad/garbage.mid", b"MThd\x00\x00garbage")
        case(
            "reader",
            row,
            "a corrupt MIDI file only",
            lambda: music.read_music(garbage),
            names=("garbage.mid",),
        )
        write("music_mix/garbage.mid", b"MThd\x00\x00garbage")
        write("music_mix/tune.abc", abc.read_text())
        case(
            "reader",
            row,
            "a corrupt MIDI beside a good file (skipped, warned)",
            lambda: music.read_music(tmp / "music_mix"),
            check=lambda r: None if len(r) == good_scores else f"read {len(r)} scores",
        )
        case(
            "reader",
            row,
            "an empty .mid file",
            lambda: music.read_music(write("music_e/e.mid", b"")),
            names=("e.mid",),
        )
        case(
            "reader",
            row,
            "a .txt file",
            lambda: music.read_music(write("music_t/x.txt", "hi")),
            names=("x.txt",),
        )
        case(
            "reader",
            row,
            "an ABC file with invalid UTF-8",
            lambda: music.read_music(write("music_u/u.abc", b"X:1\nT:\xff\nK:C\nCDEF|\n")),
            names=("u.abc",),
            check=lambda r: None,
        )
        case("reader", row, "paths=None", lambda: music.read_music(None), names=("paths",))
        case(
            "reader",
            row,
            "paths=[]",
            lambda: music.read_music([]),
            names=("paths",),
            check=empty_result,
        )

    # word2vec binary
    row = "embeddings.load (word2vec binary)"
    import numpy as np

    vec = np.array([[0.1, 0.2], [0.3, 0.4]], "float32")
    binary = b"2 2\n" + b"the " + vec[0].tobytes() + b"\n" + b"cat " + vec[1].tobytes() + b"\n"
    good_bin = write("w2v/good.bin", binary)
    expected = vectors(loaders.load(good_bin, format="word2vec-binary"))
    ld = lambda p: vectors(loaders.load(p, format="word2vec-binary"))  # noqa: E731
    case("reader", row, "a missing file", lambda: ld(tmp / "w2v" / "none.bin"), names=("none.bin",))
    case("reader", row, "a folder", lambda: ld(tmp / "w2v"), names=("w2v",))
    case(
        "reader",
        row,
        "an empty file",
        lambda: ld(write("w2v/empty.bin", b"")),
        names=("empty.bin",),
        check=empty_result,
    )
    case(
        "reader",
        row,
        "truncated in a vector",
        lambda: ld(write("w2v/cut.bin", binary[:-6])),
        names=("cut.bin",),
    )
    case(
        "reader",
        row,
        "a header that says 3 rows",
        lambda: ld(write("w2v/three.bin", binary.replace(b"2 2", b"3 2", 1))),
        names=("three.bin",),
    )
    case(
        "reader",
        row,
        "a header that is not numbers",
        lambda: ld(write("w2v/hdr.bin", b"x y\n" + binary[4:])),
        names=("hdr.bin",),
    )
    case(
        "reader",
        row,
        "a word with invalid UTF-8",
        lambda: ld(write("w2v/utf.bin", binary.replace(b"cat", b"c\xfft"))),
        names=("utf.bin",),
        check=lambda r: None,
    )
    case(
        "reader",
        row,
        "a text file read as binary",
        lambda: ld(write("w2v/text.bin", good_w2v)),
        names=("text.bin",),
    )
    case("reader", row, "a whole file (control)", lambda: ld(good_bin), check=equals(expected))
    row = "embeddings.load (GloVe text)"
    glove = write("glove_ok.txt", good_glove)
    case(
        "reader",
        row,
        "an unknown format name",
        lambda: loaders.load(glove, format="glov"),
        names=("format",),
    )
    case(
        "reader",
        row,
        "limit=-1",
        lambda: loaders.load(glove, format="glove", limit=-1),
        names=("limit",),
    )
    case(
        "reader",
        row,
        "an unknown preset name (no download)",
        lambda: loaders.load("no-such-vectors-50d"),
        names=("no-such-vectors-50d",),
    )


# ------------------------------------------------------------------------------ pipelines
def _len_is(n):
    return lambda r: None if len(r) == n else f"returned {len(r)} items for {n} inputs"


def _any(result):
    return None


def pipelines(tmp: Path) -> dict:
    import numpy as np

    from nlpkit.pipelines.base import load

    fitted = {}
    for key, build in tiny.BUILDERS.items():
        start = time.perf_counter()
        fitted[key] = build()
        print(f"trained tiny {key} in {time.perf_counter() - start:.1f} s", flush=True)
    rows = {
        "classifier": "TextClassifier",
        "tagger": "EntityTagger",
        "chargen": "CharGenerator",
        "music": "MusicGenerator",
        "translator": "Translator",
    }
    saved = {}
    for key, pipe in fitted.items():
        row = rows[key]
        cls = type(pipe)
        # constructor
        for arg, bad in [
            ("learning_rate", math.nan),
            ("learning_rate", math.inf),
            ("learning_rate", -0.1),
            ("seed", -1),
            ("seed", 2**64),
            ("seed", "7"),
            ("hidden_size", 0),
            ("hidden_size", -4),
            ("hidden_size", 8.5),
            ("hidden_size", None),
            ("batch_size", 0),
            ("embedding_dim", True),
        ]:
            if arg in __import__("inspect").signature(cls.__init__).parameters:
                case(
                    "pipeline",
                    row,
                    f"{cls.__name__}({arg}={bad!r})",
                    lambda a=arg, b=bad: cls(**{a: b}),
                    names=(arg,),
                )
        case(
            "pipeline", row, "an unknown keyword", lambda: cls(hiden_size=4), names=("hiden_size",)
        )
        # not fitted
        case("pipeline", row, "predict before fit", lambda: cls().predict(["a"]), names=("fit",))
        # fit
        good_x = {
            "classifier": tiny.TEXTS,
            "tagger": tiny.NER_X,
            "chargen": tiny.NAMES,
            "music": tiny.MELODIES,
            "translator": tiny.SOURCES,
        }[key]
        good_y = {"classifier": tiny.LABELS, "tagger": tiny.NER_Y, "translator": tiny.TARGETS}.get(
            key
        )
        fresh = lambda: cls(**pipe.get_config())  # noqa: E731
        case(
            "pipeline",
            row,
            "fit(x=None)",
            lambda: fresh().fit(None, good_y, epochs=1),
            names=("x",),
        )
        case(
            "pipeline",
            row,
            "fit(x=[])",
            lambda: fresh().fit([], [] if good_y else None, epochs=1),
            names=("x", "empty", "no "),
        )
        case(
            "pipeline",
            row,
            "fit(epochs=0)",
            lambda: fresh().fit(good_x, good_y, epochs=0),
            names=("epochs",),
        )
        case(
            "pipeline",
            row,
            "fit(epochs=-1)",
            lambda: fresh().fit(good_x, good_y, epochs=-1),
            names=("epochs",),
        )
        case(
            "pipeline",
            row,
            "fit(epochs=nan)",
            lambda: fresh().fit(good_x, good_y, epochs=math.nan),
            names=("epochs",),
        )
        case(
            "pipeline",
            row,
            "fit with a None item",
            lambda: fresh().fit([good_x[0], None], good_y[:2] if good_y else None, epochs=1),
            names=("1", "None"),
        )
        case(
            "pipeline",
            row,
            "fit with a dict as x",
            lambda: fresh().fit({"a": good_x[0]}, good_y[:1] if good_y else None, epochs=1),
            names=("x",),
        )
        if good_y is not None:
            case(
                "pipeline",
                row,
                "fit with y shorter than x",
                lambda: fresh().fit(good_x, good_y[:-1], epochs=1),
                names=("y", "x"),
            )
        # predict
        if key == "music":
            p_ok = [tiny.MELODIES[0][:3]]
            case(
                "pipeline",
                row,
                "predict([])",
                lambda: pipe.predict([]),
                check=_len_is(0),
                error_ok=False,
            )
            case("pipeline", row, "predict(None)", lambda: pipe.predict(None), names=("x",))
            case(
                "pipeline",
                row,
                "predict([None])",
                lambda: pipe.predict([None]),
                names=("0", "None"),
            )
            case(
                "pipeline",
                row,
                "predict an unknown token",
                lambda: pipe.predict([["n60:1", "zz"]]),
                names=("zz",),
                check=_len_is(1),
            )
            case(
                "pipeline",
                row,
                "predict an empty piece",
                lambda: pipe.predict([[]]),
                check=_len_is(1),
                names=("0", "`x`"),
            )
            case(
                "pipeline",
                row,
                "predict a dict",
                lambda: pipe.predict({"a": p_ok[0]}),
                names=("x", "list"),
            )
            case(
                "pipeline",
                row,
                "generate_events(max_length=-1)",
                lambda: pipe.generate_events(max_length=-1, seed=0),
                names=("max_length",),
            )
            case(
                "pipeline",
                row,
                "generate_events(max_length=0)",
                lambda: pipe.generate_events(max_length=0, seed=0),
                check=equals([]),
            )
            case(
                "pipeline",
                row,
                "generate_events(max_length=2.5)",
                lambda: pipe.generate_events(max_length=2.5, seed=0),
                names=("max_length",),
            )
            case(
                "pipeline",
                row,
                "generate_events(temperature=nan)",
                lambda: pipe.generate_events(max_length=2, temperature=math.nan),
                names=("temperature",),
            )
            case(
                "pipeline",
                row,
                "generate_events(temperature=-1)",
                lambda: pipe.generate_events(max_length=2, temperature=-1.0),
                names=("temperature",),
            )
            case(
                "pipeline",
                row,
                "generate_events(seed=2**70)",
                lambda: pipe.generate_events(max_length=2, seed=2**70),
                names=("seed",),
            )
            case(
                "pipeline",
                row,
                "generate_events(seed=-1)",
                lambda: pipe.generate_events(max_length=2, seed=-1),
                names=("seed",),
            )
            case(
                "pipeline",
                row,
                "generate_events(primer with an unknown token)",
                lambda: pipe.generate_events(["zz"], max_length=2, seed=0),
                names=("zz", "primer"),
                check=_any,
            )
            case(
                "pipeline",
                row,
                "evaluate([])",
                lambda: pipe.evaluate([]),
                names=("x", "empty"),
                check=_any,
            )
            case(
                "pipeline",
                row,
                "evaluate with y given",
                lambda: pipe.evaluate(tiny.MELODIES, [1]),
                names=("y",),
            )
        else:
            one = good_x[0]
            case(
                "pipeline",
                row,
                "predict([])",
                lambda: pipe.predict([]),
                check=_len_is(0),
                error_ok=False,
            )
            case("pipeline", row, "predict(None)", lambda: pipe.predict(None), names=("x",))
            case(
                "pipeline",
                row,
                "predict([one, None])",
                lambda: pipe.predict([one, None]),
                names=("index 1", "item 1"),
            )
            case(
                "pipeline",
                row,
                "predict([one, 42])",
                lambda: pipe.predict([one, 42]),
                names=("index 1", "item 1"),
            )
            case(
                "pipeline",
                row,
                "predict blank strings",
                lambda: pipe.predict(["", "   ", "\t\n"]),
                check=_len_is(3),
                error_ok=False,
            )
            case(
                "pipeline",
                row,
                "predict a lone surrogate",
                lambda: pipe.predict(["fine", "bad \ud800"]),
                names=("item 1",),
            )
            case(
                "pipeline",
                row,
                "predict invalid UTF-8 bytes",
                lambda: pipe.predict([b"ok", b"\xff"]),
                names=("item 1",),
            )
            case(
                "pipeline", row, "predict a dict", lambda: pipe.predict({"a": "b"}), names=("list",)
            )
            case(
                "pipeline", row, "predict a set", lambda: pipe.predict({"a", "b"}), names=("list",)
            )
            case(
                "pipeline",
                row,
                "predict control characters and emoji",
                lambda: pipe.predict(["\x00\x07\x1b[0m", "Zoë 😀\u200b"]),
                check=_len_is(2),
                error_ok=False,
            )
            case(
                "pipeline",
                row,
                "predict a 5000-character text",
                lambda: pipe.predict(["word " * 1000]),
                check=_len_is(1),
                error_ok=False,
            )
            case(
                "pipeline",
                row,
                "predict a NumPy array of strings",
                lambda: pipe.predict(np.array(["a b", "c"])),
                check=_len_is(2),
                names=("x",),
            )
            if good_y is not None:
                case(
                    "pipeline",
                    row,
                    "evaluate with y shorter than x",
                    lambda: pipe.evaluate(good_x, good_y[:-1]),
                    names=("y", "x"),
                )
                case(
                    "pipeline",
                    row,
                    "evaluate(x=[], y=[])",
                    lambda: pipe.evaluate([], []),
                    names=("x", "empty"),
                    check=_any,
                )
                case(
                    "pipeline",
                    row,
                    "evaluate with a None label",
                    lambda: pipe.evaluate(good_x[:2], [good_y[0], None]),
                    names=("1", "None", "y"),
                )
            if key == "classifier":
                case(
                    "pipeline",
                    row,
                    "evaluate with an unseen label",
                    lambda: pipe.evaluate(good_x[:2], ["pos", "meh"]),
                    names=("meh",),
                    check=_any,
                )
                case(
                    "pipeline",
                    row,
                    "predict_proba([])",
                    lambda: pipe.predict_proba([]),
                    check=lambda r: None if r.shape == (0, 2) else f"shape {r.shape}",
                )
            if key == "tagger":
                case(
                    "pipeline",
                    row,
                    "evaluate with a tag list of the wrong length",
                    lambda: pipe.evaluate(good_x[:1], [["B-PER"]]),
                    names=("0", "y", "tags"),
                )
                case(
                    "pipeline",
                    row,
                    "predict an empty token list",
                    lambda: pipe.predict([[]]),
                    check=equals([[]]),
                )
            if key == "chargen":
                for arg, bad in [
                    ("temperature", math.nan),
                    ("temperature", -1.0),
                    ("top_p", 0.0),
                    ("top_p", 1.5),
                    ("top_k", -1),
                    ("max_length", -1),
                    ("n", 0),
                    ("n", -1),
                    ("seed", 2**70),
                    ("seed", -1),
                    ("prompt", None),
                    ("prompt", "\ud800"),
                ]:
                    case(
                        "pipeline",
                        row,
                        f"generate({arg}={bad!r})",
                        lambda a=arg, b=bad: pipe.generate(
                            **{a: b, "max_length": 3} if a != "max_length" else {a: b}
                        ),
                        names=(arg,),
                    )
                case(
                    "pipeline",
                    row,
                    "generate(temperature=0) (greedy)",
                    lambda: pipe.generate(temperature=0, max_length=3, seed=0),
                    check=_len_is(1),
                )
                case(
                    "pipeline",
                    row,
                    "generate(method='beem')",
                    lambda: pipe.generate(method="beem", max_length=3),
                    names=("method",),
                )
                case("pipeline", row, "score([])", lambda: pipe.score([]), check=_len_is(0))
            if key == "translator":
                for arg, bad in [
                    ("beam_width", 0),
                    ("beam_width", -1),
                    ("length_penalty", math.nan),
                    ("max_length", -1),
                    ("max_length", 0),
                ]:
                    case(
                        "pipeline",
                        row,
                        f"predict({arg}={bad!r})",
                        lambda a=arg, b=bad: pipe.predict(["a"], **{a: b}),
                        names=(arg,),
                    )
        # save / load
        folder = tmp / "saved" / key
        pipe.save(folder)
        saved[key] = folder
        afile = tmp / "saved" / f"{key}.file"
        afile.write_text("x")
        case(
            "pipeline",
            row,
            "save to a path that is a file",
            lambda: pipe.save(afile),
            names=(afile.name,),
        )
        case(
            "pipeline",
            row,
            "save under a file",
            lambda: pipe.save(afile / "sub"),
            names=(afile.name,),
        )
        case(
            "pipeline",
            row,
            "save(None)",
            lambda: pipe.save(None),
            names=("`directory`",),
        )
        case(
            "pipeline",
            row,
            "load a missing folder",
            lambda: load(tmp / "saved" / "nothing"),
            names=("nothing",),
        )
        case("pipeline", row, "load a file", lambda: load(afile), names=(afile.name,))

        def damaged(name, edit, names, verify=True, *, row=row, key=key, folder=folder):
            copy = (
                tmp
                / "damaged"
                / f"{key}_{len(os.listdir(tmp / 'damaged')) if (tmp / 'damaged').exists() else 0}"
            )
            shutil.copytree(folder, copy)
            edit(copy)
            case(
                "pipeline",
                row,
                f"load: {name}" + ("" if verify else " (verify=False)"),
                lambda: load(copy, verify=verify),
                names=names,
            )

        def truncate(f):
            data = (f / "model.keras").read_bytes()
            (f / "model.keras").write_bytes(data[: len(data) // 2])

        vocab_files = sorted(p.name for p in folder.iterdir() if p.suffix == ".txt")

        def drop_vocab_line(f):
            p = f / vocab_files[0]
            lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
            p.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")

        def swap_vocab_lines(f):
            p = f / vocab_files[0]
            lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
            lines[2], lines[3] = lines[3], lines[2]
            p.write_text("".join(lines), encoding="utf-8")

        def set_config(value):
            def edit(f):
                (f / "config.json").write_text(value)

            return edit

        damaged("a truncated model.keras", truncate, ("model.keras",))
        damaged("a truncated model.keras", truncate, ("model.keras",), verify=False)
        damaged("model.keras removed", lambda f: (f / "model.keras").unlink(), ("model.keras",))
        damaged("config.json removed", lambda f: (f / "config.json").unlink(), ("config.json",))
        damaged("config.json not JSON", set_config("{not json"), ("config.json",))
        damaged("config.json empty", set_config(""), ("config.json",))
        damaged("config.json a list", set_config("[]"), ("config.json",))
        damaged(
            "config.json names an unknown class",
            lambda f: set_config(
                json.dumps({**json.loads((f / "config.json").read_text()), "class": "os.system"})
            )(f),
            ("config.json", "os.system"),
        )
        if vocab_files:
            damaged(f"a line removed from {vocab_files[0]}", drop_vocab_line, (vocab_files[0],))
            damaged(
                f"a line removed from {vocab_files[0]}",
                drop_vocab_line,
                (vocab_files[0], "vocabulary", "repeated", "size", "model"),
                verify=False,
            )
            damaged(f"two lines swapped in {vocab_files[0]}", swap_vocab_lines, (vocab_files[0],))
            damaged(
                f"{vocab_files[0]} with invalid UTF-8",
                lambda f: (f / vocab_files[0]).write_bytes(
                    b"\xff\xfe" + (f / vocab_files[0]).read_bytes()
                ),
                (vocab_files[0],),
                verify=False,
            )
    return fitted


# ------------------------------------------------------------------------------ exports
NASTY = [
    "",
    " ",
    "\t\n\r",
    "\x00",
    "\x07\x1b[31mred\x1b[0m",
    "\u200b\u200d\ufeff",
    "Zoë\u00a0Müller 😀👩‍👩‍👧",
    "שלום مرحبا",
    "\U0010ffff",
    "a" * 5000,
    "word " * 1000,
]
BAD_UTF8 = [b"\xff\xfe", b"ok \xc3", b"\xed\xa0\x80"]


def exports(fitted: dict, tmp: Path) -> None:
    import numpy as np
    import tensorflow as tf

    for key, pipe in fitted.items():
        served = tf.saved_model.load(str(pipe.export(tmp / "exported" / key)))
        for sig_name, fn in sorted(served.signatures.items()):
            row = f"{key}/{sig_name}"
            spec = fn.structured_input_signature[1]
            strings = [k for k, s in spec.items() if s.dtype == tf.string]
            good = {}
            for k, s in spec.items():
                shape = [1 if d is None else d for d in s.shape.as_list()]
                if s.dtype == tf.string:
                    good[k] = tf.constant(np.full(shape, "a", dtype=object), tf.string)
                elif s.shape.rank == 0:
                    value = {
                        "temperature": 1.0,
                        "top_p": 0.9,
                        "top_k": 2,
                        "seed": 1,
                        "beam_width": 2,
                        "max_length": 3,
                    }.get(k, 3)
                    good[k] = tf.constant(value, s.dtype)
                elif k == "primer":
                    good[k] = tf.zeros([1, 0], s.dtype)
                else:  # token ids / roll inputs of the score signatures: a one-row batch of zeros
                    shape = [1 if d is None else d for d in s.shape.as_list()]
                    shape[-1 if len(shape) > 2 else 1] = max(shape[-1], 1)
                    good[k] = tf.zeros(shape, s.dtype)
            batch_key = (
                strings[0] if strings else next((k for k in good if good[k].shape.rank >= 1), None)
            )

            def rows_are(n, *, row=row):
                def check(out):
                    bad = {
                        k: v.shape[0] for k, v in out.items() if v.shape.rank and v.shape[0] != n
                    }
                    return None if not bad else f"output rows {bad} for {n} inputs"

                return check

            def call(name, args, n, *, error_ok=True, names=(), fn=fn, row=row):
                case(
                    "export",
                    row,
                    name,
                    lambda: fn(**args),
                    check=rows_are(n) if n is not None else None,
                    error_ok=error_ok,
                    names=names,
                )

            case(
                "export",
                row,
                "the good call (control)",
                lambda: fn(**good),
                check=rows_are(1),
                error_ok=False,
            )
            if batch_key is not None and good[batch_key].shape.rank >= 1:
                empty = tf.zeros(
                    [0] + [0] * (good[batch_key].shape.rank - 1), good[batch_key].dtype
                )
                if good[batch_key].dtype == tf.string:
                    empty = tf.constant(
                        np.zeros([0] + [1] * (good[batch_key].shape.rank - 1), dtype=object).astype(
                            str
                        ),
                        tf.string,
                    )
                call("an empty batch", {**good, batch_key: empty}, 0, error_ok=False)
            for k in strings:
                rank = good[k].shape.rank
                wrap = (lambda s: [s]) if rank == 2 else (lambda s: s)
                for s in NASTY:
                    call(f"{k}={s!r:.24}", {**good, k: tf.constant([wrap(s)])}, 1, error_ok=False)
                call(
                    f"{k}: all the nasty strings in one batch",
                    {**good, k: tf.constant([wrap(s) for s in NASTY])}
                    if k == batch_key
                    else {**good},
                    len(NASTY) if k == batch_key else 1,
                    error_ok=False,
                )
                for b in BAD_UTF8:
                    call(f"{k}={b!r} (invalid UTF-8)", {**good, k: tf.constant([wrap(b)])}, 1)
                if rank == 2:
                    call(
                        f"{k}: 500 tokens",
                        {**good, k: tf.constant([["x"] * 500])},
                        1,
                        error_ok=False,
                    )
            for k, s in spec.items():
                if s.dtype == tf.string or s.shape.rank != 0:
                    continue
                bads = [-1, 0, 2**31 - 1] if s.dtype.is_integer else [math.nan, math.inf, -1.0, 0.0]
                if k == "max_length":
                    bads = [-1, 0]  # a huge max_length is a long (valid) request, not tried
                for bad in bads:
                    if s.dtype.is_integer and bad > s.dtype.max:
                        continue
                    call(f"{k}={bad!r}", {**good, k: tf.constant(bad, s.dtype)}, 1, names=(k,))
            if "primer" in spec:
                call(
                    "primer with an id past the vocabulary",
                    {**good, "primer": tf.constant([[10**6]], spec["primer"].dtype)},
                    None,
                    names=("primer",),
                )
                call(
                    "primer with a negative id",
                    {**good, "primer": tf.constant([[-1]], spec["primer"].dtype)},
                    None,
                    names=("primer",),
                )
                call(
                    "primer of 300 steps",
                    {**good, "primer": tf.fill([1, 300], tf.constant(4, spec["primer"].dtype))},
                    1,
                    error_ok=False,
                )


# ------------------------------------------------------------------------------ report
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    parser.add_argument("-v", action="store_true", help="print the message of each clear error")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        readers(tmp / "readers")
        fitted = pipelines(tmp / "pipelines")
        exports(fitted, tmp / "exports")
    wall = time.perf_counter() - start

    lines = [
        "| kind | row | cases tried | defined result | clear error | unexpected |",
        "|---|---|---|---|---|---|",
    ]
    totals = defaultdict(int)
    for kind, row in ORDER:
        c = COUNTS[row]
        lines.append(
            f"| {kind} | {row} | {c['cases']} | {c['defined']} | {c['clear']} | {c['unexpected']} |"
        )
        for k in ("cases", "defined", "clear", "unexpected"):
            totals[k] += c[k]
    lines.append(
        f"| **all** | | **{totals['cases']}** | **{totals['defined']}** | **{totals['clear']}** | **{totals['unexpected']}** |"
    )
    listed = "\n".join(f"- {row} / {name}: {why}" for row, name, why in UNEXPECTED) or "- none"
    md = f"""## Bad-input census (`benchmarks/bad_inputs.py`, issue 15)

`PYTHONPATH=$PWD .venv/bin/python benchmarks/bad_inputs.py` on {machine_line()}; 1-minute load
average {load_at_start:.1f} at the start; the whole census took {wall / 60:.1f} min. Tiny pipelines
(`tests/pipelines/tiny.py`) are trained in the script; each case has a {TIMEOUT_S} s limit (checked
when the call returns: a TensorFlow op is not interrupted).

Outcomes: **defined result** = the documented result came back (checked: same rows as inputs,
the same data as the clean file, ...); **clear error** = ValueError / TypeError /
FileNotFoundError (nlpkit's DataFormatError, IntegrityError, NotFittedError are ValueErrors) or
TensorFlow's InvalidArgumentError whose message names the argument or the file; **unexpected** =
anything else (another exception, an error naming neither, a wrong or undocumented result, a hang).

{chr(10).join(lines)}

Unexpected cases:

{listed}
"""
    print(md)
    if not args.no_write:
        write_section("bad_inputs", md)


if __name__ == "__main__":
    main()
