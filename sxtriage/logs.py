"""The log file: one rotating file under platformdirs' user log dir.

Failed requests to Sentry (method, path, status, the server's reason — never a token),
worker errors and warnings go here, so a user can read what went wrong after the screen
is gone.  `--debug` raises the level.  `SXTRIAGE_LOG_DIR` moves the file (tests, CI).

The file is created at start-up (so an unwritable place is known at once), but the
rotating handler itself — and `logging.handlers` — only with the first record: most
commands never log.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logging.handlers import RotatingFileHandler

APP_NAME = "sxtriage"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_sxtriage_log_file"
MAX_BYTES = 2_000_000
BACKUPS = 3


class LazyRotatingFileHandler(logging.Handler):
    """A RotatingFileHandler (MAX_BYTES, BACKUPS) opened with the first record."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.baseFilename = str(path.absolute())
        self._file: RotatingFileHandler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        # Handler.handle holds self.lock around emit: the file is opened once
        if self._file is None:
            from logging.handlers import RotatingFileHandler

            try:
                self._file = RotatingFileHandler(
                    self.baseFilename, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
                )
            except OSError:
                self.handleError(record)
                return
            self._file.setFormatter(self.formatter)
        self._file.emit(record)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def log_path() -> Path:
    override = os.environ.get("SXTRIAGE_LOG_DIR")
    if override:
        return Path(override) / "sxtriage.log"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME)) / "sxtriage.log"


def setup_logging(*, debug: bool = False) -> Path | None:
    """Send sxtriage's log records to the rotating file; None when it cannot be written."""
    path = log_path()
    logger = logging.getLogger("sxtriage")
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    for handler in list(logger.handlers):
        if getattr(handler, _MARK, False):
            if Path(getattr(handler, "baseFilename", "")) == path.absolute():
                return path
            logger.removeHandler(handler)
            handler.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666))
    except OSError:
        return None
    handler = LazyRotatingFileHandler(path)
    handler.setFormatter(logging.Formatter(_FORMAT))
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
    return path
