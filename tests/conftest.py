import pytest


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch):
    """The tests expect plain text: a FORCE_COLOR/NO_COLOR in the caller's shell must not leak in."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Work in a fresh folder; `project(name, text)` writes a file there."""
    monkeypatch.chdir(tmp_path)

    def write(name, text):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
