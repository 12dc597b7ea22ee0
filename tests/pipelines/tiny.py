"""Tiny fitted pipelines (a few seconds each) shared by the safety, fuzz and layout tests.

`tests/pipelines/data/make_layout1.py` also uses them to write the folders saved by nlpkit 0.1.
"""

from __future__ import annotations

import keras

TEXTS = ["i loved it", "great story", "a fine film", "awful plot", "i hated it", "bad acting"]
LABELS = ["pos", "pos", "pos", "neg", "neg", "neg"]
NER_X = [["Alice", "lives", "in", "Paris"], ["Bob", "left", "Oslo"], ["It", "rained"]]
NER_Y = [["B-PER", "O", "O", "B-LOC"], ["B-PER", "O", "B-LOC"], ["O", "O"]]
NAMES = ["anna", "bella", "carla", "dora"]
MELODIES = [["n60:1", "n62:1", "n64:1", "r:0.5"] * 3, ["n64:1", "n62:1", "n60:1"] * 2]
SOURCES = ["the cat sleeps", "a dog runs", "the dog sleeps", "a cat runs", "birds sing"]
TARGETS = [
    "die Katze schläft",
    "ein Hund rennt",
    "der Hund schläft",
    "eine Katze rennt",
    "Vögel singen",
]


def classifier():
    from nlpkit.pipelines.classifier import TextClassifier

    keras.utils.set_random_seed(0)
    clf = TextClassifier(cell="gru", hidden_size=4, embedding_dim=4, seed=0, verbose=0)
    return clf.fit(TEXTS, LABELS, epochs=2)


def tagger():
    from nlpkit.pipelines.tagger import EntityTagger

    keras.utils.set_random_seed(0)
    tg = EntityTagger(
        embedding_dim=4,
        hidden_size=4,
        char_embedding_dim=4,
        char_hidden_size=4,
        batch_size=4,
        seed=0,
        verbose=0,
    )
    return tg.fit(NER_X, NER_Y, epochs=2)


def chargen():
    from nlpkit.pipelines.chargen import CharGenerator

    keras.utils.set_random_seed(0)
    return CharGenerator(hidden_size=8, embedding_dim=4, seed=0, verbose=0).fit(NAMES, epochs=1)


def music():
    from nlpkit.pipelines.music import MusicGenerator

    keras.utils.set_random_seed(0)
    gen = MusicGenerator(hidden_size=8, num_layers=1, embedding_dim=4, seed=0, verbose=0)
    return gen.fit(MELODIES, epochs=1)


def translator():
    from nlpkit.pipelines.translator import Translator

    keras.utils.set_random_seed(0)
    tr = Translator(
        level="word", embedding_dim=4, hidden_size=4, beam_width=2, batch_size=5, seed=0, verbose=0
    )
    return tr.fit(SOURCES, TARGETS, epochs=1)


BUILDERS = {
    "classifier": classifier,
    "tagger": tagger,
    "chargen": chargen,
    "music": music,
    "translator": translator,
}


def outputs(name: str, pipe) -> object:
    """Deterministic outputs of a tiny pipeline, to compare a loaded copy with its original."""
    if name == "classifier":
        return pipe.predict_proba(TEXTS).round(5).tolist()
    if name == "tagger":
        return pipe.predict(NER_X)
    if name == "chargen":
        return pipe.predict(["an", "b", ""])
    if name == "music":
        return [p.round(5).tolist() for p in pipe.predict(MELODIES)]
    return pipe.predict(SOURCES)
