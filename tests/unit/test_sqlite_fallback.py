"""The embedded default (SQLite) computes the same statistics through its fallbacks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SQLITE_RUN

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(SQLITE_RUN, reason="this is the inner run")
def test_statistics_tests_pass_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(SPRECHSTUNDE_SQLITE_RUN="1", SQLITE_PATH=str(tmp_path / "fallback.sqlite3"))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/unit/test_statistics.py",
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
