import pytest


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch):
    """The tests expect plain text: a FORCE_COLOR/NO_COLOR in the caller's shell must not leak in."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
