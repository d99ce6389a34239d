"""An unexpected failure is one sentence naming its kind: never the SQL, its
parameters or other personal data (trust issue, finding 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventfilter.entrypoints import cli
from eventfilter.service import queries


def test_failed_unexpectedly_shows_the_kind_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path}/e.db"
    with pytest.raises(SystemExit):
        cli.main(["--db", db, "db", "upgrade"])
    capsys.readouterr()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("INSERT INTO persons VALUES ('DK-0001', 'Secret Street 7', 23000.0)")

    monkeypatch.setattr(queries, "holds", broken)
    monkeypatch.delenv("EVENTFILTER_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--db", db, "holds"])
    err = capsys.readouterr().err
    assert exit_.value.code == 1
    assert "RuntimeError" in err and "DK-0001" not in err and "Secret" not in err and "INSERT" not in err
    assert len(err.strip().splitlines()) == 1
