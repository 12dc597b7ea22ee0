import pytest

from nlpkit.cli import load_recipe, main
from nlpkit.recipes import RecipeError


def test_recipe_overrides_and_task_check(tmp_path):
    p = tmp_path / "r.toml"
    p.write_text('task = "classification"\n[fit]\nepochs = 5\n')
    r = load_recipe(p, ["fit.epochs=2", "model.cell=gru", "data.train=x.csv"])
    assert r["fit"]["epochs"] == 2 and r["model"]["cell"] == "gru" and r["data"]["train"] == "x.csv"
    p.write_text('task = "poetry"\n')
    with pytest.raises(ValueError, match=r"`task` must be one of .*Received: task='poetry'"):
        load_recipe(p)
    p.write_text('task = "ner"\n[fit\n')
    with pytest.raises(RecipeError, match=rf"{p}: not valid TOML"):
        load_recipe(p)


def test_cli_reports_errors_cleanly(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["version"]) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data=1"], "`data` is a section (a table of keys), not a single value"),
        (["=3"], "--set expects SECTION.KEY=VALUE. Received: '=3' (empty key)"),
        (["fit..epochs=2"], "non-empty names between the dots. Received: 'fit..epochs=2'"),
        (["fit.epochs=abc"], "`fit.epochs` in [fit] must be an integer. Received: epochs='abc'"),
        (["fit.epochs=1.5"], "`fit.epochs` in [fit] must be an integer. Received: epochs=1.5"),
        (["modle.cell=gru"], "unknown section [modle]. Did you mean [model]?"),
    ],
)
def test_cli_bad_set_is_an_error_not_a_traceback(tmp_path, capsys, overrides, message):
    p = tmp_path / "r.toml"
    p.write_text('task = "ner"\n[data]\nsample = true\n[fit]\nepochs = 5\n')
    args = ["run", str(p)]
    for item in overrides:
        args += ["--set", item]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("nlpkit: error: ") and message in err and "Traceback" not in err
