"""deploy/render and the templates of deploy/: what a city renders for its server."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "deploy" / "render"
EXAMPLE = ROOT / "deploy" / "deploy.conf.example"
# Settings only the embedded default reads (SQLite, files for e-mails, static files from the
# apps): not for a server.
EMBEDDED_ONLY = {"SQLITE_PATH", "EMAIL_FILE_PATH", "WHITENOISE_USE_FINDERS"}


def render(values: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, str(RENDER), str(values), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rendered")
    done = render(EXAMPLE, out)
    assert done.returncode == 0, done.stderr
    return out


def test_the_example_renders_every_template_completely(rendered: Path) -> None:
    files = [p for p in rendered.rglob("*") if p.is_file()]
    assert {p.relative_to(rendered).parts[0] for p in files} == {
        "nginx",
        "systemd",
        "coturn",
        "sprechstunde.env",
    }
    for path in files:
        assert not re.search(r"@[A-Z][A-Z0-9_]*@", path.read_text()), path


def test_the_upstream_has_one_server_per_daphne_port(rendered: Path) -> None:
    site = (rendered / "nginx" / "sprechstunde.conf").read_text()
    assert re.findall(r"server 127\.0\.0\.1:(\d+) ", site) == ["8001", "8002"]


def test_coturn_and_the_platform_share_the_turn_secret(rendered: Path) -> None:
    coturn = (rendered / "coturn" / "turnserver.conf").read_text()
    env = (rendered / "sprechstunde.env").read_text()
    secret = re.search(r"^static-auth-secret=(.+)$", coturn, re.M)
    assert secret is not None and "use-auth-secret" in coturn.splitlines()
    assert f"RTC_TURN_SECRET={secret.group(1)}" in env.splitlines()


def test_the_environment_file_names_every_setting(rendered: Path) -> None:
    source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'(?:os\.environ\.get|env_bool|env_list|env_days)\("([A-Z_]+)"', source))
    env = (rendered / "sprechstunde.env").read_text()
    listed = set(re.findall(r"^#?([A-Z_]+)=", env, re.M))
    assert read - EMBEDDED_ONLY <= listed


def test_a_missing_or_unused_value_renders_nothing(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text().splitlines()
    without_secret = tmp_path / "without.conf"
    without_secret.write_text("\n".join(x for x in lines if not x.startswith("TURN_SECRET=")))
    done = render(without_secret, tmp_path / "out")
    assert done.returncode != 0 and "TURN_SECRET" in done.stderr
    assert not (tmp_path / "out").exists()

    extra = tmp_path / "extra.conf"
    extra.write_text(EXAMPLE.read_text() + "\nSERVERNAME=typo.example.de\n")
    done = render(extra, tmp_path / "out")
    assert done.returncode != 0 and "SERVERNAME" in done.stderr
    assert not (tmp_path / "out").exists()
