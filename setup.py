"""Build shim: everything else is in pyproject.toml.

It installs the runnable recipes of `pipelines/` (the one copy in git) as package data
`nlpkit/recipes/bundled/*.toml`, so that `nlpkit run sentiment` and `nlpkit recipes` work after
`pip install nlpkit`. pyproject.toml alone cannot map a folder outside the package into it.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["nlpkit", "nlpkit.*"]), "nlpkit.recipes.bundled"],
    package_dir={"nlpkit.recipes.bundled": "pipelines"},
    package_data={"nlpkit.recipes.bundled": ["*.toml"]},
    include_package_data=False,
)
