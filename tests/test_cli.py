import pytest

from nlpkit.cli import load_recipe, main


def test_recipe_overrides_and_task_check(tmp_path):
    p = tmp_path / "r.toml"
    p.write_text('task = "classification"\n[fit]\nepochs = 5\n')
    r = load_recipe(p, ["fit.epochs=2", "model.cell=gru", "data.train=x.csv"])
    assert r["fit"]["epochs"] == 2 and r["model"]["cell"] == "gru" and r["data"]["train"] == "x.csv"
    p.write_text('task = "poetry"\n')
    with pytest.raises(ValueError, match=r"`task` must be one of .*Received: task='poetry'"):
        load_recipe(p)


def test_cli_reports_errors_cleanly(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["version"]) == 0
