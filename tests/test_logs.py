"""The log file: created at start-up, opened (with logging.handlers) by the first record,
rotated at MAX_BYTES, and None when it cannot be written."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sxtriage import logs


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SXTRIAGE_LOG_DIR", str(tmp_path / "logs"))
    logger = logging.getLogger("sxtriage")
    before = list(logger.handlers)
    level = logger.level
    yield tmp_path / "logs"
    for handler in logger.handlers:
        if handler not in before:
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(level)


def test_records_reach_the_file(log_dir: Path) -> None:
    path = logs.setup_logging()
    assert path == log_dir / "sxtriage.log"
    assert path.exists()  # created at once, so an unwritable place shows at start-up
    assert logs.setup_logging() == path  # a second call keeps the one handler
    marked = [h for h in logging.getLogger("sxtriage").handlers if getattr(h, logs._MARK, False)]
    assert len(marked) == 1
    logging.getLogger("sxtriage.sentry").warning("GET /api/0/ answered %s", 502)
    logging.getLogger("sxtriage.sentry").debug("not at info level")
    for handler in marked:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "WARNING sxtriage.sentry: GET /api/0/ answered 502" in text
    assert "not at info level" not in text


def test_debug_level(log_dir: Path) -> None:
    path = logs.setup_logging(debug=True)
    assert path is not None
    logging.getLogger("sxtriage.x").debug("detail")
    logging.getLogger("sxtriage").handlers[-1].flush()
    assert "DEBUG sxtriage.x: detail" in path.read_text(encoding="utf-8")


def test_the_file_rotates(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 200)
    path = logs.setup_logging()
    assert path is not None
    for i in range(20):
        logging.getLogger("sxtriage").info("line %d of the rotation test", i)
    assert (log_dir / "sxtriage.log.1").exists()
    assert not (log_dir / f"sxtriage.log.{logs.BACKUPS + 1}").exists()


def test_unwritable_place_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SXTRIAGE_LOG_DIR", str(blocker / "logs"))
    assert logs.setup_logging() is None


def test_logging_handlers_waits_for_the_first_record(tmp_path: Path) -> None:
    script = (
        "import sys, logging\n"
        "from sxtriage import logs\n"
        "assert logs.setup_logging() is not None\n"
        "print('logging.handlers' in sys.modules)\n"
        "logging.getLogger('sxtriage').warning('first')\n"
        "print('logging.handlers' in sys.modules)\n"
    )
    env = {**os.environ, "SXTRIAGE_LOG_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.split() == ["False", "True"], proc.stderr
    assert "WARNING sxtriage: first" in (tmp_path / "sxtriage.log").read_text(encoding="utf-8")
