"""The `nlpkit` commands that use a trained model: predict, evaluate, info, export, serve.

`register(subparsers)` adds them to the `nlpkit` argument parser (see `nlpkit.cli`); each
subparser stores its handler in `args.handler`, a function `args -> exit status`.
"""

from __future__ import annotations

import argparse

__all__ = ["register"]

_EPILOGS = {
    "predict": """examples:
  nlpkit predict saved_models/sentiment reviews.txt
  echo '{"text": "Alice lives in Paris."}' | nlpkit predict saved_models/ner -
  nlpkit predict saved_models/chargen --samples 5 --temperature 0.8 --seed 1

MODEL is a saved pipeline folder (pipeline.save) or an exported SavedModel (a numbered version
folder, or its parent: the newest version is used). INPUT is a file or '-' (stdin, the default):
plain lines, or JSON lines with a "text" field. Output: one JSON object per line.""",
    "evaluate": """examples:
  nlpkit evaluate saved_models/sentiment test.csv
  nlpkit evaluate saved_models/ner ../shared/data/ner/conll2003/dev.txt
  nlpkit evaluate saved_models/translator val.en --target val.de
  nlpkit evaluate saved_models/music jsb-chorales-quarter.json --split test

DATA is read with the recipes' readers: CSV/TSV/JSON lines (classification), CoNLL (NER), a
parallel pair or a source<TAB>target file (translation), a text file (chargen), MIDI/MusicXML/ABC
files or a folder of them, or the JSB Chorales JSON (music).""",
    "info": """example:
  nlpkit info saved_models/sentiment

Prints JSON: the kind of folder, versions, signatures (inputs and outputs), the task and the model
card or configuration stored with the model.""",
    "export": """examples:
  nlpkit export runs/sentiment-pipeline                 # -> saved_models/sentiment/<n+1>
  nlpkit export runs/sentiment-pipeline saved_models/sentiment/7""",
    "serve": """examples:
  nlpkit serve saved_models/
  nlpkit serve saved_models/ --port 8501 --batch-window-ms 5 --max-batch-size 32
  curl -s localhost:8501/v1/models/sentiment:predict -d '{"instances": ["a fine film"]}'

Serves every model under DIR (each <name>/<n>/ SavedModel folder, newest version) with
TensorFlow Serving's REST API, and the demo page at http://127.0.0.1:8501/. Needs
pip install "nlpkit[serve]".""",
}


def _parser(sub, name: str, help_text: str) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=_EPILOGS[name],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def register(sub) -> None:
    """Add predict, evaluate, info, export and serve to the `nlpkit` subparsers `sub`."""
    from nlpkit.commands import evaluate, info, predict, serve

    p = _parser(sub, "predict", "predict with a saved pipeline or an exported SavedModel")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("input", metavar="INPUT", nargs="?", default="-")
    p.add_argument("--output", "-o", metavar="PATH", help="write JSON lines here (default stdout)")
    p.add_argument("--batch-size", type=int, default=64, help="inputs per model call (64)")
    p.add_argument("--samples", type=int, metavar="N", help="generators: N samples, no input read")
    p.add_argument(
        "--temperature", type=float, default=1.0, help="generators: sampling temperature"
    )
    p.add_argument("--seed", type=int, help="generators: sampling seed")
    p.add_argument(
        "--max-length", type=int, help="generators: characters (chargen) or steps (music)"
    )
    p.add_argument("--text-field", default="text", help='JSON lines field to read ("text")')
    p.set_defaults(handler=predict.main)

    e = _parser(sub, "evaluate", "print a model's metrics on a data file as JSON")
    e.add_argument("model", metavar="MODEL")
    e.add_argument("data", metavar="DATA")
    e.add_argument("--target", metavar="FILE", help="translation: the line-aligned reference file")
    e.add_argument("--text-column", default="text", help="classification: text column/field")
    e.add_argument("--label-column", default="label", help="classification: label column/field")
    e.add_argument("--tag-column", type=int, default=-1, help="NER: CoNLL tag column (-1: last)")
    e.add_argument(
        "--split", help="music: the JSB Chorales JSON split to score (default: test, else valid)"
    )
    e.add_argument(
        "--format",
        choices=("csv", "tsv", "jsonl", "folder", "fasttext"),
        help="classification data format (default: from the file name)",
    )
    e.set_defaults(handler=evaluate.main)

    i = _parser(sub, "info", "print a model's signatures, versions and model card as JSON")
    i.add_argument("model", metavar="MODEL")
    i.set_defaults(handler=info.main)

    x = _parser(sub, "export", "export a saved pipeline as a SavedModel")
    x.add_argument("saved_pipeline", metavar="SAVED_PIPELINE")
    x.add_argument(
        "dir", metavar="DIR", nargs="?", help="default: saved_models/<task>/<next version>"
    )
    x.set_defaults(handler=info.export_main)

    s = _parser(sub, "serve", "serve exported models over HTTP (TF Serving REST API + demo page)")
    serve.add_arguments(s)
    s.set_defaults(handler=serve.main)
