"""Shared test settings. Slow tests (real data) are deselected by default; run them with
`pytest -m slow`."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
