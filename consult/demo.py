"""Demo data for the embedded default: German topics, six clerks, one manager, the service
catalogue (data/catalogue_de.json, loaded by the import code), opening hours and the
administration's own closing days (public holidays come from consult/catalogue/holidays.py)."""

from datetime import date, time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from consult.appointments.models import Availability
from consult.catalogue.importer import import_catalogue_file
from consult.catalogue.models import Closure, OpeningHours, Service, Topic
from consult.catalogue.selectors import GENERAL_TOPIC
from consult.chat.models import Snippet
from consult.staff.models import StaffProfile

CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue" / "data" / "catalogue_de.json"

DEMO_PASSWORD = "sprechstunde-demo"  # noqa: S105 - printed for the local demo only

# Bauantrag is routed by manual pick (clerks choose cases they know); the others auto-offer.
MANUAL_TOPICS = {"bauantrag"}
# Video through the media worker (server relay); the others peer-to-peer.
RELAY_TOPICS = {"kfz-zulassung"}

TOPICS = [
    ("hundesteuer", "Hundesteuer", "An- und Abmeldung von Hunden, Steuerbescheid, Ermäßigungen."),
    (
        "bauantrag",
        "Bauantrag",
        "Bauvorhaben, Bauantrag stellen, Unterlagen und Stand des Verfahrens.",
    ),
    (
        "kfz-zulassung",
        "Kfz-Zulassung",
        "Fahrzeug zulassen, umschreiben oder außer Betrieb setzen; Führerschein.",
    ),
    ("wohnsitz-ummelden", "Wohnsitz ummelden", "Umzug melden, Meldebescheinigung, Nebenwohnung."),
    ("gewerbeanmeldung", "Gewerbeanmeldung", "Gewerbe an-, um- oder abmelden."),
    (
        "ausweise",
        "Ausweise und Pässe",
        "Personalausweis, Reisepass, Führungszeugnis, Beglaubigung.",
    ),
    ("standesamt", "Standesamt", "Eheschließung, Geburts- und Sterbeurkunden, Kirchenaustritt."),
    (
        "soziales",
        "Soziales und Familie",
        "Wohngeld, Sozialhilfe, Elterngeld, Kita-Platz, Unterhaltsvorschuss, Pflegeberatung.",
    ),
    (
        "parken",
        "Parken und Verkehr",
        "Bewohnerparkausweis, Halteverbot für den Umzug, Parkausweis bei Behinderung.",
    ),
    ("abfall", "Abfall und Sperrmüll", "Sperrmüll anmelden, Mülltonnen bestellen oder ändern."),
    ("fundbuero", "Fundbüro", "Etwas verloren oder gefunden?"),
    (
        "auslaenderbehoerde",
        "Ausländerbehörde",
        "Aufenthaltstitel, Einbürgerung, Verpflichtungserklärung, Arbeiten mit Duldung.",
    ),
    (
        "ordnungsamt",
        "Ordnungsamt",
        "Feste und Veranstaltungen, Lärm, Waffen-, Jagd- und Fischereischein, Strafzettel.",
    ),
    (
        "steuern",
        "Steuern und Abgaben",
        "Grundsteuer, Gewerbesteuer, Zweitwohnungsteuer, Stundung und Ratenzahlung.",
    ),
    ("wahlen", "Wahlen", "Briefwahl, Wählerverzeichnis, Wahlhelfer, Bürgerbegehren."),
    (
        "strassen",
        "Straßen und Baustellen",
        "Schlaglöcher, Straßenlaternen, Gerüste und Container auf der Straße, Winterdienst.",
    ),
    (
        "umwelt",
        "Umwelt und Tiere",
        "Gewässer, Heizöltank, städtische Bäume, Tierschutz, Hühner und Bienen.",
    ),
    (
        "kultur",
        "Bibliothek, Kultur und Schule",
        "Bibliotheksausweis, Musikschule, Volkshochschule, Stadtarchiv, Schulanmeldung.",
    ),
    # The general enquiry: where the navigator finds no fitting service (docs/catalogue.md).
    (
        GENERAL_TOPIC,
        "Allgemeine Anfrage",
        "Sie wissen nicht, wer zuständig ist? Wir nehmen Ihr Anliegen auf und helfen weiter.",
    ),
]

# Wall-clock opening hours (Europe/Berlin): weekdays 0-4 = Monday-Friday.
WEEKDAYS = range(5)
HOURS = {
    "default": [(d, time(8), time(18)) for d in WEEKDAYS] + [(5, time(9), time(13))],
    # Two ranges a day with a lunch break, as many building authorities do.
    "bauantrag": [(d, time(8), time(12)) for d in range(5)]
    + [(d, time(13), time(16)) for d in range(4)],
    "standesamt": [(d, time(8), time(16)) for d in WEEKDAYS],
    # Open around the clock, so the demo can be tried at any hour (chat and video).
    "hundesteuer": [],
    "kfz-zulassung": [],
}

CLERKS = [
    (
        "anna",
        "Anna",
        "Keller",
        "Anna K.",
        ["hundesteuer", "wohnsitz-ummelden", "gewerbeanmeldung", "ausweise", "fundbuero"],
    ),
    ("ben", "Ben", "Yilmaz", "Ben Y.", ["bauantrag", "gewerbeanmeldung", "abfall", "parken"]),
    (
        "clara",
        "Clara",
        "Schmidt",
        "Clara S.",
        ["kfz-zulassung", "wohnsitz-ummelden", "hundesteuer", "standesamt", "soziales", "parken"],
    ),
    ("david", "David", "Nowak", "David N.", ["auslaenderbehoerde", "ausweise", GENERAL_TOPIC]),
    ("emma", "Emma", "Fischer", "Emma F.", ["ordnungsamt", "strassen", "umwelt", "parken"]),
    (
        "felix",
        "Felix",
        "Becker",
        "Felix B.",
        ["steuern", "wahlen", "kultur", "hundesteuer", GENERAL_TOPIC],
    ),
]

# Weekly appointment windows (weekday 0 = Monday, local time) per demo clerk.
AVAILABILITY = {
    "anna": [(0, "09:00", "12:00"), (2, "09:00", "12:00"), (3, "14:00", "17:00")],
    "ben": [(1, "09:00", "12:00"), (3, "09:00", "12:00"), (4, "09:00", "11:00")],
    "clara": [(0, "13:00", "16:00"), (1, "09:00", "12:00"), (4, "09:00", "12:00")],
    "david": [(0, "09:00", "12:00"), (2, "13:00", "16:00"), (3, "09:00", "12:00")],
    "emma": [(1, "13:00", "16:00"), (2, "09:00", "12:00"), (4, "09:00", "12:00")],
    "felix": [(0, "14:00", "17:00"), (1, "09:00", "12:00"), (3, "14:00", "17:00")],
}
# Appointment length per topic in minutes (default 15).
APPOINTMENT_MINUTES = {"bauantrag": 30, "gewerbeanmeldung": 20}

# Topic snippets (topic, title, text, catalogue service): type "/" in a console reply box.
SNIPPETS = [
    ("hundesteuer", "Begrüßung", "Guten Tag, hier ist das Steueramt. Wie kann ich helfen?", ""),
    ("hundesteuer", "Unterlagen Hund anmelden", "Zur Anmeldung Ihres Hundes:", "hund-anmelden"),
    ("wohnsitz-ummelden", "Unterlagen Ummeldung", "Für die Ummeldung gilt:", "ummeldung"),
]

MANAGER = ("maria", "Maria", "Wagner")
MANAGER_GROUP = "Leitung"


@transaction.atomic
def load_demo() -> None:
    """Create or refresh the demo data; running it again changes nothing else."""
    User = get_user_model()
    topics = {}
    for order, (slug, name, description) in enumerate(TOPICS):
        topics[slug], _ = Topic.objects.update_or_create(
            slug=slug,
            defaults={
                "routing_mode": Topic.RoutingMode.MANUAL
                if slug in MANUAL_TOPICS
                else Topic.RoutingMode.AUTO_OFFER,
                "name": name,
                "description": description,
                "active": True,
                "sort_order": order,
                "media_mode": Topic.MediaMode.RELAY if slug in RELAY_TOPICS else "",
                "appointment_minutes": APPOINTMENT_MINUTES.get(slug, 15),
            },
        )
    for username, first, last, display, topic_slugs in CLERKS:
        user, _ = User.objects.update_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        profile, _ = StaffProfile.objects.get_or_create(
            user=user, defaults={"display_name": display}
        )
        profile.topics.set([topics[s] for s in topic_slugs])
        profile.availability.all().delete()
        Availability.objects.bulk_create(
            Availability(
                clerk=profile, weekday=day, starts=time.fromisoformat(f), ends=time.fromisoformat(t)
            )
            for day, f, t in AVAILABILITY[username]
        )
    group, _ = Group.objects.get_or_create(name=MANAGER_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label="consult"))
    username, first, last = MANAGER
    manager, _ = User.objects.update_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "is_staff": True},
    )
    manager.set_password(DEMO_PASSWORD)
    manager.save()
    manager.groups.add(group)
    for slug, topic in topics.items():
        topic.opening_hours.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(topic=topic, weekday=day, opens=opens, closes=closes)
            for day, opens, closes in HOURS.get(slug, HOURS["default"])
        )
    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        for day, reason in custom_closures(year):
            Closure.objects.update_or_create(date=day, topic=None, defaults={"reason": reason})
    import_catalogue_file(path=CATALOGUE_FILE)
    for slug, title, body, service in SNIPPETS:
        Snippet.objects.update_or_create(
            topic=topics[slug],
            owner=None,
            title=title,
            defaults={"body": body, "service": Service.objects.filter(slug=service).first()},
        )


def custom_closures(year: int) -> list[tuple[date, str]]:
    """The days the administration closes by custom, beside the public holidays (which come
    from consult/catalogue/holidays.py)."""
    return [(date(year, 12, 24), "Heiligabend"), (date(year, 12, 31), "Silvester")]
