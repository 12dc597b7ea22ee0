"""Shared helpers for benchmark scripts: data paths, timing, and writing RESULTS.md sections.

Every benchmark writes its figures into its own marked section of `benchmarks/RESULTS.md`
(`<!-- begin:NAME -->` ... `<!-- end:NAME -->`), so scripts can run in any order without
overwriting each other's numbers.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
DATA = Path(os.environ.get("NLPKIT_DATA", ROOT.parent / "shared" / "data"))

_HEADER = """# Benchmark results

Figures written by the scripts in `benchmarks/`; each section is replaced when its script runs
again. Ratios are measured side by side in the same run; absolute times drift on this shared
machine. Real data is read from `../shared/data` (or `$NLPKIT_DATA`) and never copied here.
"""


def data_path(*parts: str) -> Path:
    """Return a path under the shared data folder, or exit cleanly (status 0) if it is absent."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        print(f"SKIP: {path} not found (set NLPKIT_DATA to the shared data folder).")
        sys.exit(0)
    return path


def machine_line() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"run {_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the section NAME in RESULTS.md, under a file lock."""
    RESULTS.touch(exist_ok=True)
    begin, end = f"<!-- begin:{name} -->", f"<!-- end:{name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}\n"
    with open(RESULTS, "r+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        text = fh.read() or _HEADER
        if begin in text and end in text:
            head, rest = text.split(begin, 1)
            _, tail = rest.split(end, 1)
            text = head + block + tail.lstrip("\n")
        else:
            text = text.rstrip("\n") + "\n\n" + block
        fh.seek(0)
        fh.truncate()
        fh.write(text)
    print(f"wrote section {name!r} to {RESULTS}")
