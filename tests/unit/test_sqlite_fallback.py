"""The embedded default (SQLite) computes the same statistics through its fallbacks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SQLITE_RUN

ROOT = Path(__file__).resolve().parents[2]


def run_on_sqlite(tmp_path, *modules):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(SPRECHSTUNDE_SQLITE_RUN="1", SQLITE_PATH=str(tmp_path / "fallback.sqlite3"))
    run = subprocess.run(  # noqa: S603 - our own test modules
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *modules,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout


@pytest.mark.skipif(SQLITE_RUN, reason="this is the inner run")
def test_statistics_tests_pass_on_sqlite(tmp_path):
    run_on_sqlite(tmp_path, "tests/unit/test_statistics.py")


@pytest.mark.skipif(SQLITE_RUN, reason="this is the inner run")
def test_navigator_hours_and_import_pass_on_sqlite(tmp_path):
    """The navigator's Python fallback, opening hours and the import on the embedded default."""
    run_on_sqlite(
        tmp_path,
        "tests/unit/test_navigator.py",
        "tests/unit/test_hours.py",
        "tests/unit/test_catalogue_import.py",
    )


@pytest.mark.skipif(SQLITE_RUN, reason="this is the inner run")
def test_chat_passes_on_sqlite(tmp_path):
    """The chat write's two-statement form (SQLite has no UPDATE inside WITH)."""
    run_on_sqlite(tmp_path, "tests/unit/test_chat.py")


@pytest.mark.skipif(SQLITE_RUN, reason="this is the inner run")
def test_documents_and_notes_pass_on_sqlite(tmp_path):
    """Documents and hand-over notes on the embedded default of `make run` (no row locks, the
    in-memory cache for the upload rate)."""
    run_on_sqlite(tmp_path, "tests/unit/test_documents.py", "tests/unit/test_internal_notes.py")
