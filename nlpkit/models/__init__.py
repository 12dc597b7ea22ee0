"""The task networks the pipelines train: one module per network.

`nlpkit.models` sits between the building blocks and the pipelines in the one-way import order
(`text`, `layers`, `decoding` -> `models` -> `pipelines`): a model module imports layers,
decoding and text, never a pipeline. A pipeline (`nlpkit.pipelines.*`) owns the data, the
vocabularies and the verbs (`fit`, `predict`, `save`, `export`); the network it builds, the
loss it trains with and the graph code that steps it live here.

| module | network | pipeline |
| --- | --- | --- |
| `text_classifier` | `build_text_classifier`: embedding, recurrent or mean encoder, softmax | `TextClassifier` |
| `sequence_tagger` | `build_sequence_tagger`, `TaggerTrainer`: BiLSTM(-CRF) over word, casing and character features | `EntityTagger` |
| `char_lm` | `build_char_lm`, `CharLM`: character language model and its generation graph | `CharGenerator` |
| `music_lm` | `build_music_lm`, `MusicSampler`: music language model, its losses and generation graph | `MusicGenerator` |
| `seq2seq` | `Seq2Seq`: attention encoder-decoder with input feeding | `Translator` |

Names, not classes, are what a saved model depends on: the layers inside these networks are
registered Keras layers (`nlpkit.layers`, `package="nlpkit"`), and the pipelines that rebuild a
network and load only its weights (music, translator) key them by layer names that did not
change when the code moved here.
"""

from nlpkit.models.char_lm import CharLM, build_char_lm
from nlpkit.models.music_lm import MusicSampler, build_music_lm
from nlpkit.models.seq2seq import Seq2Seq
from nlpkit.models.sequence_tagger import TaggerTrainer, build_sequence_tagger
from nlpkit.models.text_classifier import build_text_classifier

__all__ = [
    "CharLM",
    "MusicSampler",
    "Seq2Seq",
    "TaggerTrainer",
    "build_char_lm",
    "build_music_lm",
    "build_sequence_tagger",
    "build_text_classifier",
]
