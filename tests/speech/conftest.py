"""Fixtures of the speech tests."""

import pytest

from talkrig.inference import registry
from talkrig.inference.speech.timing import speech_plugins


@pytest.fixture
def fake_entry_points(monkeypatch):
    """install(extra): the speech entry points plus ``extra``, discovered again; the real ones
    are discovered again after the test."""
    real = registry.entry_points

    def install(extra):
        def entry_points(group):
            found = list(real(group=group))
            if group == registry.SPEECH:
                found += extra
            return found

        monkeypatch.setattr(registry, "entry_points", entry_points)
        speech_plugins(refresh=True)

    yield install
    monkeypatch.undo()
    speech_plugins(refresh=True)
