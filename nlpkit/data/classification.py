"""Readers for labelled text: CSV/TSV, JSON lines, folder-per-class trees, fastText, TFDS.

Every reader returns `(texts, labels)`: two lists of equal length, ready for
`TextClassifier.fit`. Malformed files raise `DataFormatError` naming the file and line.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from nlpkit.data._decoding import decode, open_gzip, text_encoding
from nlpkit.errors import DataFormatError, OfflineError

__all__ = [
    "read_csv",
    "read_jsonl",
    "iter_csv",
    "iter_jsonl",
    "read_folder",
    "read_fasttext",
    "read_tfds",
    "open_text",
    "iter_lines",
    "file_kind",
    "texts_and_labels",
]


def open_text(path: str | os.PathLike, encoding: str = "utf-8") -> io.TextIOBase:
    """Open a text file for reading, transparently decompressing `.gz` (a UTF-8 BOM is dropped)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Data file {path} does not exist.")
    if path.suffix == ".gz":
        return io.TextIOWrapper(
            open_gzip(path), encoding=text_encoding(encoding, first=True), newline=""
        )
    return open(path, encoding=text_encoding(encoding, first=True), newline="")


def iter_lines(path: str | os.PathLike, encoding: str = "utf-8", *, keepends: bool = False):
    """Yield `(line_number, text)` for each line; undecodable bytes name the file and line.

    A UTF-8 byte-order mark at the start of the file is dropped. `.gz` files are decompressed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Data file {path} does not exist.")
    text_encoding(encoding, first=True)  # an unknown codec fails before any work
    opener = open_gzip if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for i, raw in enumerate(fh, start=1):
            line = decode(path, raw, encoding, line=i, first=i == 1)
            yield i, (line if keepends else line.rstrip("\r\n"))


def _label(value, path, line):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DataFormatError(path, line, "empty label")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DataFormatError(path, line, f"label must be a string or an integer, got {value!r}")
    return value


def read_csv(
    path: str | os.PathLike,
    text_column: str | int = "text",
    label_column: str | int = "label",
    *,
    delimiter: str | None = None,
    label_type: str = "auto",
    encoding: str = "utf-8",
    header: bool = True,
) -> tuple[list[str], list]:
    """Read a CSV or TSV file, with a header row by default.

    Args:
        path: The file (`.csv`, `.tsv`, optionally `.gz`).
        text_column: Name of the column holding the text, or its 0-based index.
        label_column: Name of the column holding the label, or its 0-based index.
        delimiter: Field separator; default tab for `.tsv`, comma otherwise.
        label_type: 'str', 'int' or 'auto' (int when every label is an integer literal).
        header: The first row names the columns. With False every row is data and the
            columns are given by index (e.g. the Emojify file: `text_column=0, label_column=1`).

    Returns:
        `(texts, labels)`.

    Raises:
        ValueError: a named column is missing (the message names the column and the file).
        DataFormatError: a row has the wrong number of fields or an empty label.

    Example:
        >>> from pathlib import Path
        >>> _ = Path("reviews.csv").write_text('review,sentiment\\n"Great, really",pos\\nDull,neg\\n')
        >>> read_csv("reviews.csv", text_column="review", label_column="sentiment")
        (['Great, really', 'Dull'], ['pos', 'neg'])
    """
    texts, labels = [], []
    for text, label in iter_csv(
        path, text_column, label_column, delimiter=delimiter, encoding=encoding, header=header
    ):
        texts.append(text)
        labels.append(label)
    return texts, _convert_labels(labels, label_type)


def iter_csv(
    path: str | os.PathLike,
    text_column: str = "text",
    label_column: str = "label",
    *,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    header: bool = True,
):
    """Yield `(text, label)` row by row from a CSV/TSV file (`read_csv` lazily; labels as read).

    Raises:
        ValueError, DataFormatError: as `read_csv`, when the row is reached.
    """
    path = Path(path)
    if delimiter is None:
        delimiter = "\t" if ".tsv" in path.suffixes else ","
    if not path.is_file():
        raise FileNotFoundError(f"Data file {path} does not exist.")
    if not header:
        for name, role in ((text_column, "text_column"), (label_column, "label_column")):
            if isinstance(name, bool) or not isinstance(name, int) or name < 0:
                raise ValueError(
                    f"With header=False, `{role}` must be a 0-based column index. "
                    f"Received: {role}={name!r}"
                )
    # Decoded line by line, so that bad bytes name their line; a UTF-8 BOM is dropped.
    with contextlib.closing(iter_lines(path, encoding, keepends=True)) as lines:
        reader = csv.reader((line for _, line in lines), delimiter=delimiter)
        if header:
            try:
                columns = next(reader)
            except StopIteration:
                raise DataFormatError(
                    path, 1, "the file is empty (expected a header row)"
                ) from None
            for name, role in ((text_column, "text_column"), (label_column, "label_column")):
                if name not in columns:
                    raise ValueError(
                        f"{path} has no column {name!r} (`{role}`). Columns found: {columns}. "
                        f"Pass {role}= with one of them."
                    )
            ti, li = columns.index(text_column), columns.index(label_column)
            width = len(columns)
        else:
            ti, li, width = text_column, label_column, None
        for row in _csv_rows(reader, path):
            line = reader.line_num
            if not row:
                continue
            if width is None:
                width = len(row)
                if max(ti, li) >= width:
                    raise DataFormatError(
                        path,
                        line,
                        f"text_column={ti} / label_column={li} out of range: the row has "
                        f"{width} fields",
                    )
            if len(row) != width:
                raise DataFormatError(path, line, f"expected {width} fields, found {len(row)}")
            yield row[ti], _label(row[li], path, line)


def _csv_rows(reader, path: Path):
    """The rows of `reader`, with the csv module's own errors (a field over
    `csv.field_size_limit()`, a NUL in strict mode) turned into a DataFormatError naming the
    file and line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            hint = (
                f" A field is longer than csv.field_size_limit() ({csv.field_size_limit()} "
                "characters): often a quote that is never closed; if the text is really that "
                "long, raise the limit with csv.field_size_limit(n) before reading."
                if "field larger than field limit" in str(e)
                else ""
            )
            raise DataFormatError(path, reader.line_num, f"not valid CSV: {e}.{hint}") from e


def _convert_labels(labels: list, label_type: str) -> list:
    if label_type not in ("auto", "int", "str"):
        raise ValueError(
            f"`label_type` must be one of 'auto', 'int', 'str'. Received: label_type={label_type!r}"
        )
    if label_type == "str":
        return [str(v) for v in labels]

    def is_int(v):
        return isinstance(v, int) or (isinstance(v, str) and v.strip().lstrip("-").isdigit())

    if label_type == "int" or (labels and all(is_int(v) for v in labels)):
        try:
            return [int(v) for v in labels]
        except ValueError as e:
            raise ValueError(f"label_type='int' but a label is not an integer: {e}") from e
    return labels


def read_jsonl(
    path: str | os.PathLike,
    text_field: str = "text",
    label_field: str = "label",
    *,
    encoding: str = "utf-8",
) -> tuple[list[str], list]:
    """Read JSON lines (one object a line, optionally `.gz`) with a text and a label field.

    Raises:
        DataFormatError: a line is not a JSON object or lacks a field (file and line named).

    Example:
        >>> import gzip
        >>> with gzip.open("train.jsonl.gz", "wt") as f:
        ...     _ = f.write('{"text": "fine", "label": 1}\\n{"text": "bad", "label": 0}\\n')
        >>> read_jsonl("train.jsonl.gz")
        (['fine', 'bad'], [1, 0])
    """
    texts, labels = [], []
    for text, label in iter_jsonl(path, text_field, label_field, encoding=encoding):
        texts.append(text)
        labels.append(label)
    return texts, labels


def iter_jsonl(
    path: str | os.PathLike,
    text_field: str = "text",
    label_field: str = "label",
    *,
    encoding: str = "utf-8",
):
    """Yield `(text, label)` line by line from a JSON-lines file (`read_jsonl` lazily)."""
    path = Path(path)
    for i, line in iter_lines(path, encoding):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataFormatError(path, i, f"not valid JSON: {e.msg}") from e
        if not isinstance(obj, dict):
            raise DataFormatError(path, i, "expected a JSON object")
        for field in (text_field, label_field):
            if field not in obj:
                raise DataFormatError(path, i, f"missing field {field!r} (fields: {sorted(obj)})")
        if not isinstance(obj[text_field], str):
            raise DataFormatError(path, i, f"field {text_field!r} must be a string")
        yield obj[text_field], _label(obj[label_field], path, i)


def read_folder(root: str | os.PathLike, *, pattern: str = "*.txt") -> tuple[list[str], list[str]]:
    """Read a folder-per-class tree: `root/<label>/<any>.txt`, one example a file.

    Raises:
        ValueError: `root` has no class sub-folders or no files match `pattern`.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Folder {root} does not exist.")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(f"{root} has no class sub-folders (expected {root}/<label>/{pattern}).")
    texts, labels = [], []
    for cls_dir in classes:
        for f in sorted(cls_dir.glob(pattern)):
            texts.append(decode(f, f.read_bytes(), "utf-8", first=True))
            labels.append(cls_dir.name)
    if not texts:
        raise ValueError(f"No files matching {pattern!r} under the class folders of {root}.")
    return texts, labels


def read_fasttext(
    path: str | os.PathLike, *, prefix: str = "__label__", encoding: str = "utf-8"
) -> tuple[list[str], list[str]]:
    """Read fastText-style lines: `__label__<label> text ...` (gensim's pang_lee_polarity.cor).

    Raises:
        DataFormatError: a non-empty line does not start with the label prefix.
    """
    path = Path(path)
    texts, labels = [], []
    for i, line in iter_lines(path, encoding):
        line = line.strip()
        if not line:
            continue
        head, _, rest = line.partition(" ")
        if not head.startswith(prefix) or len(head) == len(prefix):
            raise DataFormatError(path, i, f"expected a line starting with {prefix}<label>")
        labels.append(head[len(prefix) :])
        texts.append(rest.strip())
    return texts, labels


def read_tfds(
    name: str,
    split: str = "train",
    *,
    data_dir: str | os.PathLike | None = None,
    text_key: str = "text",
    label_key: str = "label",
    download: bool = False,
    max_examples: int | None = None,
) -> tuple[list[str], list]:
    """Read a TensorFlow Datasets text-classification dataset (e.g. 'imdb_reviews').

    Nothing is downloaded unless `download=True`; when the prepared data is not in `data_dir`
    (default `~/tensorflow_datasets`), `OfflineError` says how to provide it.
    """
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=None if data_dir is None else os.fspath(data_dir))
    except Exception as e:  # tfds raises its own DatasetNotFoundError
        raise ValueError(f"Unknown TFDS dataset {name!r}: {e}") from e
    if not builder.is_prepared():
        if not download:
            raise OfflineError(
                f"TFDS dataset {name!r} is not prepared in {builder.data_dir}. Either pass "
                f"download=True (needs network), prepare it elsewhere and pass data_dir= pointing "
                f"at that folder, or read your own copy with read_csv/read_jsonl/read_folder."
            )
        builder.download_and_prepare()
    ds = builder.as_dataset(split=split)
    if max_examples:
        ds = ds.take(max_examples)
    texts, labels = [], []
    for ex in tfds.as_numpy(ds):
        t = ex[text_key]
        texts.append(t.decode("utf-8") if isinstance(t, bytes) else str(t))
        labels.append(int(ex[label_key]))
    return texts, labels


def file_kind(path: str) -> str | None:
    """'csv', 'tsv' or 'jsonl' from a file name (a trailing `.gz` is ignored), else None.

    Example:
        >>> file_kind("train.tsv.gz"), file_kind("dev.json"), file_kind("notes.txt")
        ('tsv', 'jsonl', None)
    """
    name = path.lower().removesuffix(".gz")
    for kind in ("csv", "tsv", "jsonl"):
        if name.endswith("." + kind):
            return kind
    if name.endswith(".json"):
        return "jsonl"
    return None


def texts_and_labels(x: Any, y: Any, name_x: str = "x", name_y: str = "y") -> tuple[list, list]:
    """`(texts, labels)` from lists (`x` texts, `y` labels) or from a `tf.data.Dataset` of
    `(text, label)` pairs (then `y` is None), checked: strings, labels of one type, as many
    labels as texts. `name_x` / `name_y` name the arguments in error messages.

    Raises:
        ValueError: labels are missing, or given twice, or their count differs from the texts'.
        TypeError: texts or labels of the wrong type.

    Example:
        >>> texts_and_labels(["good", "bad"], ["pos", "neg"])
        (['good', 'bad'], ['pos', 'neg'])
    """
    import tensorflow as tf

    from nlpkit.data.tfdata import dataset_to_lists
    from nlpkit.utils.validation import check_labels, check_same_length, check_texts

    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise ValueError(
                f"When `{name_x}` is a tf.data.Dataset of (text, label) pairs, `{name_y}` must be None."
            )
        x, y = dataset_to_lists(x)
        if y is None:
            raise ValueError(
                f"`{name_x}` is a dataset of texts only; labels are needed: yield (text, label) pairs."
            )
    texts = check_texts(name_x, x)
    if y is None:
        raise ValueError(f"`{name_y}` (the labels) is required.")
    labels = check_labels(name_y, y)
    check_same_length(name_x, texts, name_y, labels)
    return texts, labels
