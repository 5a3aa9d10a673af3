"""Helpers shared by the tests (and a few benchmarks): fakes, fixtures' builders, synthetic
speech, rigs and scenes. ``tests/`` is on ``sys.path`` (``pythonpath`` in pyproject.toml), so a
test imports them as ``from support.bake_support import cut_speech``."""
