"""`nlpkit run RECIPE --workers 2`: two local worker processes with generated TF_CONFIG."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[2])


@pytest.mark.slow  # two TensorFlow processes training and exporting: about a minute here
def test_run_recipe_with_two_local_workers(tmp_path):
    rows = ["text,label"] + [
        f"{w} film {i},{lab}" for i in range(12) for w, lab in (("great", "pos"), ("awful", "neg"))
    ]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        f"""task = "classification"
seed = 0
[data]
format = "csv"
train = "{(tmp_path / "train.csv").as_posix()}"
[model]
cell = "gru"
hidden_size = 8
embedding_dim = 8
batch_size = 4
verbose = 0
[fit]
epochs = 2
[output]
export = "{(tmp_path / "export").as_posix()}"
"""
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2", NLPKIT_WORKER_TIMEOUT="90")
    summary = tmp_path / "summary.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nlpkit.cli",
            "run",
            str(recipe),
            "--workers",
            "2",
            "--summary",
            str(summary),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(summary.read_text())
    assert result["train_examples"] > 0
    assert Path(result["exported"]).is_dir()
    assert Path(result["exported"]) == tmp_path / "export"  # the chief's, not a scratch folder
    assert "[worker 1]" in proc.stderr  # the second worker ran and was relayed
