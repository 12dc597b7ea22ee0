"""Recipe schema: unknown sections and keys, types, `--set` parsing, old spellings."""

import warnings

import pytest

from nlpkit.recipes import list_recipes, load_recipe
from nlpkit.recipes.schema import (
    RecipeDeprecationWarning,
    RecipeError,
    apply_overrides,
    parse_override,
    section_keys,
    validate_recipe,
)


def write(tmp_path, text, name="r.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_section_names_file_section_and_nearest(tmp_path):
    path = write(tmp_path, 'task = "ner"\n[modle]\nhidden_size = 8\n')
    with pytest.raises(RecipeError) as e:
        load_recipe(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: unknown section [modle]. Did you mean [model]?")
    assert "Valid sections for task 'ner': data, model, fit, output." in msg


def test_unknown_key_names_section_and_nearest(tmp_path):
    path = write(tmp_path, 'task = "classification"\n[model]\nhiden_size = 8\n')
    with pytest.raises(
        RecipeError, match=r"\[model\] has no key 'hiden_size'\. Did you mean 'hidden_size'\?"
    ):
        load_recipe(path)
    path = write(tmp_path, 'task = "chargen"\n[output]\nexprot = true\n')
    with pytest.raises(
        RecipeError, match=rf"^{path}: \[output\] has no key 'exprot'\. Did you mean 'export'\?"
    ):
        load_recipe(path)
    path = write(tmp_path, 'task = "chargen"\nsed = 1\n')
    with pytest.raises(RecipeError, match=r"unknown top-level key 'sed'\. Did you mean 'seed'\?"):
        load_recipe(path)
    path = write(tmp_path, 'task = "nre"\n')
    with pytest.raises(
        RecipeError, match=r"`task` must be one of .*Received: task='nre'\. Did you mean 'ner'\?"
    ):
        load_recipe(path)


def test_model_keys_are_the_pipeline_constructor_parameters(monkeypatch):
    from nlpkit.pipelines.chargen import CharGenerator
    from nlpkit.pipelines.classifier import SentimentClassifier, TextClassifier
    from nlpkit.pipelines.tagger import EntityTagger

    assert set(section_keys({"task": "ner"}, "model")) == set(EntityTagger._param_names())
    assert set(section_keys({"task": "classification"}, "model")) == set(
        TextClassifier._param_names()
    )
    sentiment = {"task": "classification", "preset": "sentiment"}
    assert set(section_keys(sentiment, "model")) == set(SentimentClassifier._param_names())
    # a constructor argument added later is accepted without touching the schema
    names = CharGenerator._param_names()
    monkeypatch.setattr(
        CharGenerator, "_param_names", classmethod(lambda cls: [*names, "new_knob"])
    )
    assert validate_recipe({"task": "chargen", "model": {"new_knob": 3}})["model"] == {
        "new_knob": 3
    }


def test_fit_keys_are_the_fit_keyword_arguments(monkeypatch):
    from nlpkit.pipelines.music import MusicGenerator

    keys = section_keys({"task": "music"}, "fit")
    assert keys["epochs"] == "int" and not {"x", "y", "validation_data", "callbacks"} & set(keys)
    with pytest.raises(RecipeError, match=r"\[fit\] has no key 'epoch'\. Did you mean 'epochs'\?"):
        validate_recipe({"task": "music", "fit": {"epoch": 2}}, "r.toml")

    def fit(self, x, y=None, *, validation_data=None, epochs: int = 10, max_minutes: float = 0.0):
        return self

    monkeypatch.setattr(MusicGenerator, "fit", fit)  # an option fit gains is a valid key at once
    assert (
        validate_recipe({"task": "music", "fit": {"max_minutes": 1.5}})["fit"]["max_minutes"] == 1.5
    )
    with pytest.raises(RecipeError, match=r"`fit.max_minutes` in \[fit\] must be a number"):
        validate_recipe({"task": "music", "fit": {"max_minutes": "soon"}}, "r.toml")


def test_types_come_from_the_schema_and_the_constructor_annotations():
    with pytest.raises(
        RecipeError, match=r"`fit.epochs` in \[fit\] must be an integer\. Received: epochs=1\.5"
    ):
        validate_recipe({"task": "ner", "fit": {"epochs": 1.5}}, "r.toml")
    with pytest.raises(RecipeError, match=r"`model.hidden_size` in \[model\] must be an integer"):
        validate_recipe({"task": "ner", "model": {"hidden_size": 2.5}}, "r.toml")
    with pytest.raises(
        RecipeError, match=r"`model.dropout` in \[model\] must be a number\. Received: dropout='x'"
    ):
        validate_recipe({"task": "chargen", "model": {"dropout": "x"}}, "r.toml")
    with pytest.raises(
        RecipeError, match=r"`output.export` in \[output\] must be a string or true or false"
    ):
        validate_recipe({"task": "music", "output": {"export": 3}}, "r.toml")
    ok = validate_recipe({"task": "ner", "model": {"dropout": 0, "pretrained_words": "all"}})
    assert ok["model"] == {"dropout": 0, "pretrained_words": "all"}  # an int is a valid float


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("data=1", r"--set data=1: `data` is a section \(a table of keys\), not a single value"),
        ("output=1", r"\[output\] is a section .*Received: output=1 \(from --set output=\.\.\.\)"),
        ("=3", r"--set expects SECTION\.KEY=VALUE\. Received: '=3' \(empty key\)"),
        ("fit..epochs=2", r"non-empty names between the dots\. Received: 'fit\.\.epochs=2'"),
        (".epochs=2", r"non-empty names between the dots"),
        ("fit.epochs", r"Received: 'fit\.epochs' \(no '='\)"),
        (
            "fit.epochs=abc",
            r"`fit\.epochs` in \[fit\] must be an integer\. Received: epochs='abc' \(from --set fit\.epochs=\.\.\.\)",
        ),
        ("fit.epochs=1.5", r"`fit\.epochs` in \[fit\] must be an integer\. Received: epochs=1\.5"),
        ("task.x=1", r"`task` is a single value \('ner'\), not a section"),
        ("fit.epochs.x=1", r"`fit\.epochs` is a single value \(3\), not a section"),
        ("modle.cell=1", r"unknown section \[modle\]\. Did you mean \[model\]\?"),
    ],
)
def test_bad_overrides_are_clear_errors(tmp_path, item, message):
    path = write(tmp_path, 'task = "ner"\n[data]\nsample = true\n[fit]\nepochs = 3\n')
    with pytest.raises(RecipeError, match=message):
        load_recipe(path, [item])


def test_good_overrides():
    assert parse_override(" fit.epochs = 2 ") == (["fit", "epochs"], 2)
    assert parse_override('data.path="a b.csv"') == (["data", "path"], "a b.csv")
    assert parse_override("data.path=C:/x=y") == (["data", "path"], "C:/x=y")
    assert parse_override("model.transpositions=[0, 1]") == (["model", "transpositions"], [0, 1])
    recipe, keys = apply_overrides({"task": "ner"}, ["seed=3", "output.export=false"])
    assert recipe == {"task": "ner", "seed": 3, "output": {"export": False}}
    assert keys == ["seed", "output.export"]


OLD_SHAPES = [
    ({"data": {"valid_fraction": 0.2}}, "music", {"data": {"validation_fraction": 0.2}}),
    ({"data": {"valid_split": "v"}}, "music", {"data": {"validation_split": "v"}}),
    (
        {"export": {"root": "out"}},
        "classification",
        {"output": {"export": True, "_export_root": "out"}},
    ),
    ({"export": {"enabled": False}}, "chargen", {"output": {"export": False}}),
    ({"export": {"dir": "e"}}, "translation", {"output": {"export": "e"}}),
    (
        {"output": {"save_dir": "s", "export": True}},
        "ner",
        {"output": {"save": "s", "export": True}},
    ),
    ({"output": {"export_dir": "e"}}, "ner", {"output": {"export": "e"}}),
    ({"save": {"dir": "s"}}, "music", {"output": {"save": "s"}}),
    ({"fit": {"verbose": 0}}, "ner", {"fit": {}, "model": {"verbose": 0}}),
]


@pytest.mark.parametrize(("old", "task", "new"), OLD_SHAPES)
def test_old_spellings_still_work_with_a_deprecation_warning(old, task, new):
    with pytest.warns(RecipeDeprecationWarning, match="deprecated .* write .* instead"):
        out = validate_recipe({"task": task, **old}, "old.toml")
    assert out == {"task": task, **new}
    assert issubclass(RecipeDeprecationWarning, DeprecationWarning)


def test_old_export_table_rejects_unknown_keys():
    with (
        pytest.warns(RecipeDeprecationWarning),
        pytest.raises(RecipeError, match=r"\[export\] has no key 'rooot'"),
    ):
        validate_recipe({"task": "music", "export": {"rooot": "x"}}, "old.toml")


def test_every_bundled_recipe_matches_the_schema_without_old_spellings():
    recipes = list_recipes()
    assert {"sentiment", "ner-sample", "chargen-names", "music-bach", "translate-dates"} <= set(
        recipes
    )
    for name in recipes:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RecipeDeprecationWarning)
            recipe = load_recipe(name)
        if recipe["task"] != "embeddings":  # every trained pipeline exports
            assert recipe["output"]["export"] is True, name


@pytest.mark.parametrize("task", ["classification", "ner", "chargen", "music", "translation"])
def test_engine_settings_are_model_keys_of_every_training_task(task):
    model = {
        "distribution": "mirrored",
        "checkpoint_dir": "runs/ckpt",
        "checkpoint_every": 50,
        "max_minutes": 1.5,
        "max_steps": 100,
        "log_dir": "runs/tb",
    }
    assert validate_recipe({"task": task, "model": model})["model"] == model
    with pytest.raises(RecipeError, match="max_steps"):
        validate_recipe({"task": task, "model": {"max_steps": "many"}}, "r.toml")


def test_streaming_shuffle_buffer_is_a_model_key():
    for task in ("classification", "ner", "chargen", "music", "translation"):
        assert validate_recipe({"task": task, "model": {"shuffle_buffer": 500}})["model"] == {
            "shuffle_buffer": 500
        }


def test_stream_is_a_data_key_of_every_file_reading_task():
    for task in ("classification", "ner", "chargen", "music", "translation"):
        assert validate_recipe({"task": task, "data": {"stream": True}})["data"] == {"stream": True}
        with pytest.raises(RecipeError, match="stream"):
            validate_recipe({"task": task, "data": {"stream": "yes"}}, "r.toml")
