"""Tiny fitted pipelines, saved and exported, shared by the serving and command tests.

`build_models(root)` writes, for each task, a saved pipeline under `root/saved/<name>` and a
SavedModel under `root/models/<name>/1` (TensorFlow Serving's layout). The models are trained for
a few seconds on data written here, so their outputs are meaningful only on that data: the NER
model finds "Alice Smith" (PER) and "Paris" (LOC) in "Alice Smith lives in Paris .".
"""

from __future__ import annotations

from pathlib import Path

import keras

SENTIMENT_TEXTS = [
    "i loved this movie",
    "great acting and a great story",
    "a wonderful film",
    "terrible plot and awful acting",
    "i hated it",
    "boring and bad",
]
SENTIMENT_LABELS = ["pos", "pos", "pos", "neg", "neg", "neg"]

NER_TRAIN = [
    ("Alice Smith lives in Paris .", "B-PER I-PER O O B-LOC O"),
    ("Bob works for Acme Corp in Berlin .", "B-PER O O B-ORG I-ORG O B-LOC O"),
    ("Acme Corp hired Maria .", "B-ORG I-ORG O B-PER O"),
    ("It rained in Tokyo and Lima .", "O O O B-LOC O B-LOC O"),
    ("Maria met Bob Jones in Oslo .", "B-PER O B-PER I-PER O B-LOC O"),
    ("Globex opened in Lagos", "B-ORG O O B-LOC"),
    ("Nothing happened today .", "O O O O"),
    ("Reuters reported that Alice left Globex .", "B-ORG O O B-PER O B-ORG O"),
]
NAMES = ["anna", "bella", "carla", "dora", "emma", "fiona", "gina", "hilda"]
SOURCES = ["The cat sleeps.", "A dog runs", "The dog sleeps", "A cat runs fast", "Birds sing!"]
TARGETS = [
    "Die Katze schläft.",
    "Ein Hund rennt",
    "Der Hund schläft",
    "Eine Katze rennt schnell",
    "Vögel singen!",
]
MELODY = ["n60:1", "n62:1", "n64:1", "n65:0.5", "r:0.5"]
CHORD_STEPS = [[60, 64, 67], [60, 64, 67], [62, 65, 69], []]


def fit_sentiment():
    from nlpkit import SentimentClassifier

    keras.utils.set_random_seed(0)
    clf = SentimentClassifier(
        cell="gru", hidden_size=16, embedding_dim=16, learning_rate=0.02, seed=0, verbose=0
    )
    return clf.fit(SENTIMENT_TEXTS, SENTIMENT_LABELS, epochs=25)


def fit_ner():
    from nlpkit import EntityTagger

    keras.utils.set_random_seed(0)
    tagger = EntityTagger(
        embedding_dim=16,
        hidden_size=16,
        char_embedding_dim=8,
        char_hidden_size=8,
        dropout=0.0,
        learning_rate=0.05,
        batch_size=4,
        seed=0,
        verbose=0,
    )
    return tagger.fit(
        [s.split() for s, _ in NER_TRAIN], [t.split() for _, t in NER_TRAIN], epochs=25
    )


def fit_chargen():
    from nlpkit import CharGenerator

    keras.utils.set_random_seed(0)
    gen = CharGenerator(
        cell="gru", hidden_size=16, learning_rate=0.02, batch_size=8, seed=0, verbose=0
    )
    return gen.fit(NAMES, epochs=3)


def fit_translator():
    from nlpkit import Translator

    keras.utils.set_random_seed(0)
    tr = Translator(  # subword level: SentencePiece trained on the five target sentences
        vocab_size=64,
        embedding_dim=16,
        hidden_size=16,
        dropout=0.0,
        beam_width=2,
        batch_size=5,
        learning_rate=0.02,
        seed=0,
        verbose=0,
    )
    return tr.fit(SOURCES, TARGETS, epochs=40)


def fit_music():
    from nlpkit import MusicGenerator

    keras.utils.set_random_seed(0)
    gen = MusicGenerator(
        hidden_size=16,
        num_layers=1,
        embedding_dim=8,
        dropout=0.0,
        learning_rate=0.02,
        seed=0,
        verbose=0,
    )
    return gen.fit([MELODY * 4, MELODY * 3], epochs=3)


def fit_music_roll():
    """A piano-roll generator whose steps last half a quarter note (`step_length=0.5`)."""
    from nlpkit import MusicGenerator

    keras.utils.set_random_seed(0)
    gen = MusicGenerator(
        representation="piano_roll",
        key_model="independent",
        step_length=0.5,
        hidden_size=8,
        num_layers=1,
        dropout=0.0,
        learning_rate=0.02,
        sequence_length=8,
        seed=0,
        verbose=0,
    )
    return gen.fit([CHORD_STEPS * 4, CHORD_STEPS * 3], epochs=3)


FITTERS = {
    "sentiment": fit_sentiment,
    "ner": fit_ner,
    "chargen": fit_chargen,
    "translator": fit_translator,
    "music": fit_music,
    "music_roll": fit_music_roll,
}


def build_models(root: Path, names=tuple(FITTERS)) -> Path:
    """Fit, save and export the tiny models; return `root`."""
    root = Path(root)
    for name in names:
        pipe = FITTERS[name]()
        pipe.save(root / "saved" / name)
        pipe.export(root / "models" / name / "1")
    return root
