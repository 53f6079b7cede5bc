"""Writes for the service catalogue: importing offices and services from CSV or JSON.

The formats are documented in docs/catalogue.md. An import is all or nothing: every row is
checked, and if any row is bad the transaction is rolled back and every problem is reported
with its row number, field and reason. Services are matched by slug (or, failing that, by
their LeiKa key), so importing the same file again updates instead of duplicating.
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from consult.catalogue.models import Office, Service, Topic

SERVICE_FIELDS = [
    "slug",
    "name",
    "leika_key",
    "topic",
    "office",
    "description",
    "keywords",
    "required_documents",
    "fees",
    "processing_time",
    "legal_basis",
    "links",
]
OFFICE_FIELDS = ["name", "address", "opening_hours", "phone", "email"]
# CSV only: the responsible office may be described in the service's row.
CSV_OFFICE_COLUMNS = {f"office_{name}": name for name in OFFICE_FIELDS if name != "name"}
LIST_SEPARATOR = "|"
CSV_LINK = re.compile(r"^(?P<title>.+?)\s*<(?P<url>[^<>\s]+)>$")
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    row: str  # "service 3", "office 1" (JSON) or "line 4" (CSV)
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.row}, {self.field}: {self.reason}"


class CatalogueImportError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    offices: int = 0
    slugs: list[str] = field(default_factory=list)


@dataclass
class _Row:
    label: str
    values: dict[str, Any]
    office: dict[str, Any] | None = None


def import_catalogue_file(*, path: Path | str) -> ImportResult:
    """Import a .json or .csv file (chosen by its extension)."""
    path = Path(path)
    if path.suffix.lower() not in {".csv", ".json"}:
        raise CatalogueImportError([RowError("file", str(path), "expected a .json or .csv file")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueImportError([RowError("file", str(path), str(error))]) from None
    if path.suffix.lower() == ".csv":
        return import_catalogue(offices=[], services=parse_csv(text))
    offices, services = parse_json(text)
    return import_catalogue(offices=offices, services=services)


def parse_json(text: str) -> tuple[list[_Row], list[_Row]]:
    """``{"offices": [...], "services": [...]}`` or a bare list of services."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogueImportError(
            [RowError("file", "JSON", f"not valid JSON: {error.msg} (line {error.lineno})")]
        ) from None
    if isinstance(data, list):
        data = {"services": data}
    if not isinstance(data, dict) or not isinstance(data.get("services", []), list):
        raise CatalogueImportError(
            [RowError("file", "services", "expected a list of services or an object with one")]
        )
    offices: list[_Row] = []
    services: list[_Row] = []
    errors: list[RowError] = []
    for kind, known, into in (
        ("office", OFFICE_FIELDS, offices),
        ("service", SERVICE_FIELDS, services),
    ):
        items = data.get(kind + "s", [])
        if not isinstance(items, list):
            errors.append(RowError("file", kind + "s", "expected a list"))
            continue
        for number, item in enumerate(items, start=1):
            label = f"{kind} {number}"
            if not isinstance(item, dict):
                errors.append(RowError(label, "-", "expected an object"))
                continue
            unknown = sorted(set(item) - set(known))
            if unknown:
                errors.append(RowError(label, unknown[0], "unknown field"))
                continue
            into.append(_Row(label, item))
    if errors:
        raise CatalogueImportError(errors)
    return offices, services


def parse_csv(text: str) -> list[_Row]:
    """One service per row; lists separated by "|", links as "Title <https://…>"."""
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    unknown = sorted(columns - set(SERVICE_FIELDS) - set(CSV_OFFICE_COLUMNS))
    missing = sorted({"slug", "name", "topic", "description"} - columns)
    if unknown or missing:
        problem = f"unknown column {unknown[0]}" if unknown else f"missing column {missing[0]}"
        raise CatalogueImportError([RowError("line 1", "header", problem)])
    rows, errors = [], []
    for record in reader:
        label = f"line {reader.line_num}"
        if None in record:  # more cells than columns
            errors.append(RowError(label, "-", "more cells than columns"))
            continue
        values: dict[str, Any] = {
            k: (v or "").strip() for k, v in record.items() if k in SERVICE_FIELDS
        }
        values["required_documents"] = _split(values.get("required_documents", ""))
        links = []
        for item in _split(values.get("links", "")):
            match = CSV_LINK.match(item)
            if match is None:
                errors.append(RowError(label, "links", f"expected “Title <URL>”, got “{item}”"))
                break
            links.append({"title": match["title"], "url": match["url"]})
        values["links"] = links
        office = {
            name: (record.get(column) or "").strip()
            for column, name in CSV_OFFICE_COLUMNS.items()
            if column in columns
        }
        has_office_details = values.get("office") and any(office.values())
        rows.append(
            _Row(
                label, values, {**office, "name": values["office"]} if has_office_details else None
            )
        )
    if errors:
        raise CatalogueImportError(errors)
    return rows


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def import_catalogue(*, offices: list[_Row], services: list[_Row]) -> ImportResult:
    """Create or update offices and services in one transaction; all or nothing."""
    if len(services) + len(offices) > MAX_ROWS:
        raise CatalogueImportError([RowError("file", "-", f"more than {MAX_ROWS} rows")])
    errors: list[RowError] = []
    result = ImportResult()
    with transaction.atomic():
        office_rows = offices + [_Row(s.label, s.office) for s in services if s.office]
        for row in office_rows:
            if _save_office(row, errors):
                result.offices += 1
        topics = {t.slug: t for t in Topic.objects.all()}
        seen: dict[str, str] = {}
        for row in services:
            slug = str(row.values.get("slug", ""))
            if slug and slug in seen:
                errors.append(RowError(row.label, "slug", f"also used by {seen[slug]}"))
                continue
            seen[slug] = row.label
            outcome = _save_service(row, topics, errors)
            if outcome is not None:
                result.slugs.append(slug)
                if outcome:
                    result.created += 1
                else:
                    result.updated += 1
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise CatalogueImportError(errors)
    return result


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise TypeError
    return value.strip()


def _save_office(row: _Row, errors: list[RowError]) -> bool:
    try:
        values = {k: _text(v) for k, v in row.values.items()}
    except TypeError:
        errors.append(RowError(row.label, "-", "office fields must be texts"))
        return False
    office = Office.objects.filter(name=values.get("name", "")).first() or Office()
    for name, value in values.items():
        setattr(office, name, value)
    return _clean_and_save(office, row.label, errors)


def _save_service(row: _Row, topics: dict[str, Topic], errors: list[RowError]) -> bool | None:
    """True if created, False if updated, None if the row is bad (errors appended)."""
    values = dict(row.values)
    bad_before = len(errors)
    for name in ("required_documents", "links"):
        if name not in values or values[name] in (None, ""):
            values[name] = []
    keywords = values.get("keywords", "")
    if isinstance(keywords, list) and all(isinstance(k, str) for k in keywords):
        values["keywords"] = ", ".join(k.strip() for k in keywords if k.strip())
    for name in set(values) - {"required_documents", "links"}:
        try:
            values[name] = _text(values[name])
        except TypeError:
            errors.append(RowError(row.label, name, "expected a text"))
    topic = topics.get(values.pop("topic", ""))
    if topic is None:
        errors.append(RowError(row.label, "topic", "no topic with this slug"))
    office_name = values.pop("office", "")
    office = Office.objects.filter(name=office_name).first() if office_name else None
    if office_name and office is None:
        errors.append(RowError(row.label, "office", "no office with this name"))
    if len(errors) > bad_before:
        return None
    service = Service.objects.filter(slug=values.get("slug", "")).first()
    if service is None and values.get("leika_key"):
        service = Service.objects.filter(leika_key=values["leika_key"]).first()
    created = service is None
    service = service or Service()
    for name in SERVICE_FIELDS:
        if name not in {"topic", "office"}:
            setattr(
                service,
                name,
                values.get(name, [] if name in {"links", "required_documents"} else ""),
            )
    service.topic = topic  # type: ignore[assignment]
    service.office = office
    service.active = True
    return created if _clean_and_save(service, row.label, errors) else None


def _clean_and_save(instance: Office | Service, label: str, errors: list[RowError]) -> bool:
    try:
        instance.full_clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                errors.append(RowError(label, name if name != "__all__" else "-", message))
        return False
    instance.save()
    return True
