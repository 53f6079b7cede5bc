"""LOG_FORMAT switches the log lines to JSON at start; anything but text or json is refused."""

import json
import os
import subprocess
import sys


def test_the_setting_switches_every_line_to_json(tmp_path):
    script = (
        "import logging, django; django.setup(); "
        "logging.getLogger('consult.test').warning('GET /c/%s/ from %s', 'A' * 43, '198.51.100.9')"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "LOG_FORMAT")
    }
    environment.update(
        LOG_FORMAT="json",
        DJANGO_SETTINGS_MODULE="config.settings",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    (record,) = [json.loads(line) for line in done.stderr.splitlines()]
    assert record["level"] == "WARNING" and record["logger"] == "consult.test"
    assert record["message"] == "GET /c/…/ from 198.51.100.x"
    assert record["process"] > 0 and record["time"].endswith("+00:00")


def test_an_unknown_format_is_refused_at_start(tmp_path):
    environment = {**os.environ, "LOG_FORMAT": "xml", "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and 'LOG_FORMAT must be "text" or "json"' in done.stderr


def test_addresses_keep_only_their_network():
    from config.logfilters import axes_client, mask

    assert mask("from 203.0.113.77:5123") == "from 203.0.113.x:5123"
    assert mask("at 14:50:00.123, version 1.16") == "at 14:50:00.123, version 1.16"
    assert axes_client("anna", "203.0.113.77") == "{network: '203.0.113.x'}"
    assert axes_client("anna", "2001:db8:1:2::5") == "{network: '2001:db8:1::/48'}"
    assert "anna" not in axes_client("anna", "")
