"""Write `layout1/<task>/`: tiny models saved by nlpkit 0.1 (the release before the one file
convention), with `expected.json` holding their outputs. Run once with the 0.1 sources:

    git archive 8b5bcd9 nlpkit | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old:. python tests/pipelines/data/make_layout1.py
"""

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # tests/pipelines, for tiny.py
import tiny  # noqa: E402

import nlpkit  # noqa: E402


def main() -> None:
    out = Path(__file__).parent / "layout1"
    print("nlpkit from", nlpkit.__file__)
    for name, build in tiny.BUILDERS.items():
        pipe = build()
        target = out / name
        shutil.rmtree(target, ignore_errors=True)
        pipe.save(target)
        (out / f"{name}.expected.json").write_text(json.dumps(tiny.outputs(name, pipe)) + "\n")
        print(name, sorted(p.name for p in target.iterdir()))


if __name__ == "__main__":  # never at import: pytest --doctest-modules imports every file
    main()
