"""Where recordings live on disk: RECORDINGS_DIR/<recording id>/<party>.webm."""

import logging
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)


def recordings_dir() -> Path:
    return Path(settings.RECORDINGS_DIR)


def relative_path(*, recording_id: int, party: str) -> str:
    return f"{recording_id}/{party}.webm"


def absolute_path(relative: str) -> Path:
    """The file of a stored relative path; refuses anything outside RECORDINGS_DIR."""
    root = recordings_dir().resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ValueError("recording path outside RECORDINGS_DIR")
    return path


def delete_recording_directory(recording_id: int) -> int:
    """Delete every file of a recording (also those not yet registered in the database, e.g.
    a file still being written when consent was withdrawn); returns how many went."""
    directory = recordings_dir() / str(recording_id)
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.iterdir():
        if path.is_file() or path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    try:
        directory.rmdir()
    except OSError:  # something new appeared in it: the next purge takes it
        log.warning("recording directory %s not empty after deletion", recording_id)
    return removed
