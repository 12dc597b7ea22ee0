"""Moved to `nlpkit.recipes.embeddings` (the recipe runners live in `nlpkit.recipes`); this
module keeps the old import path working."""

from nlpkit.recipes.embeddings import run_recipe

__all__ = ["run_recipe"]
