"""The log file: one rotating file under platformdirs' user log dir.

Failed requests to Sentry (method, path, status, the server's reason — never a token),
worker errors and warnings go here, so a user can read what went wrong after the screen
is gone.  `--debug` raises the level.  `SXTRIAGE_LOG_DIR` moves the file (tests, CI).
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

APP_NAME = "sxtriage"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_sxtriage_log_file"


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
        handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
    return path
