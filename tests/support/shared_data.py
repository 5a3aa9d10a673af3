"""Where the real test data lives, and what a test needing it does when it is not there.

The data (BEAT2 takes, speech corpora, a CC0 avatar, a CC BY lecture video) is not in the
repository: part of it may not be redistributed. It sits in ``../shared/data`` beside the
clone, or wherever ``$TALKRIG_SHARED_DATA`` points (docs/development.md). A test reaches it
through :func:`shared_file` (or the fixtures of tests/conftest.py built on it): outside CI a
missing file skips the test, and the session ends with one line counting them
(tests/conftest.py); under CI (``CI=true``) it fails the test, as real data is part of the run.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_VAR = "TALKRIG_SHARED_DATA"
SHARED_DATA = Path(os.environ.get(ENV_VAR) or ROOT.parent / "shared" / "data")
# What the skip reason of every test left out for want of the data starts with.
NEEDS_DATA = "needs the real test data"


def in_ci():
    return os.environ.get("CI", "").strip().lower() == "true"


def shared_file(*parts):
    """A path under the shared data folder; a missing one skips the test (fails it under CI)."""
    import pytest

    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if in_ci():
            pytest.fail(f"real test data missing: {path} (the shared data folder must sit beside "
                        f"the repository, or ${ENV_VAR} point to it)")
        pytest.skip(f"{NEEDS_DATA}: {path} is missing")
    return path
