import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """`NLPKIT_SLOW=1` opts in to tests marked slow (real data, long runs)."""
    if os.environ.get("NLPKIT_SLOW") == "1":
        for item in items:
            if item.get_closest_marker("slow"):
                item.own_markers = [m for m in item.own_markers if m.name != "slow"]


@pytest.fixture
def seed():
    import keras

    keras.utils.set_random_seed(0)
    return 0
