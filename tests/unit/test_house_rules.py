"""House rules of docs/architecture.md that import-linter cannot see, checked on the source."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    path
    for package in ("consult", "signaling", "frontend", "config")
    for path in (ROOT / package).rglob("*.py")
    if "migrations" not in path.parts
]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_only_the_domain_event_module_and_the_media_worker_send_to_groups():
    """Events reach groups only from consult/events.py; the media worker's own traffic stays
    in signaling/media/ (a health probe sending to its own fresh channel is no event)."""
    senders = {_rel(path) for path in SOURCES if "group_send(" in path.read_text()}
    allowed = {"consult/events.py"}
    assert {s for s in senders if not s.startswith("signaling/media/")} <= allowed


def test_no_module_of_the_domain_is_over_400_lines():
    long = {
        _rel(path): n
        for path in (ROOT / "consult").rglob("*.py")
        if "migrations" not in path.parts and (n := len(path.read_text().splitlines())) > 400
    }
    assert long == {}


def _defined(name: str) -> list[str]:
    """Modules that define ``name`` at their top level (function, class or assignment)."""
    found = []
    for path in SOURCES:
        for node in ast.parse(path.read_text()).body:
            targets = []
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                targets = [node.name]
            elif isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets = [node.target.id]
            if name in targets:
                found.append(_rel(path))
    return found


def test_one_local_zone_one_day_bounds_and_one_kind_to_state_mapping():
    zones = [_rel(p) for p in SOURCES if re.search(r"ZoneInfo\(|Europe/Berlin'", p.read_text())]
    assert zones == ["consult/clock.py"]
    assert _defined("day_bounds") == ["consult/clock.py"]
    assert _defined("STATE_AFTER") == ["consult/consultations/models.py"]


def test_each_models_module_belongs_to_one_subdomain_package():
    modules = sorted(_rel(p) for p in (ROOT / "consult").rglob("models.py"))
    assert "consult/models.py" in modules
    aggregate = ast.parse((ROOT / "consult" / "models.py").read_text())
    assert not [n for n in aggregate.body if isinstance(n, ast.ClassDef)]  # imports only
    for module in modules:
        if module != "consult/models.py":
            assert len(Path(module).parts) == 3  # consult/<subdomain>/models.py
