"""Demo data for the embedded default: German topics, three clerks, one manager."""

from datetime import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .models import Availability, StaffProfile, Topic

DEMO_PASSWORD = "sprechstunde-demo"  # noqa: S105 - printed for the local demo only

# Bauantrag is routed by manual pick (clerks choose cases they know); the others auto-offer.
MANUAL_TOPICS = {"bauantrag"}

TOPICS = [
    ("hundesteuer", "Hundesteuer", "An- und Abmeldung von Hunden, Steuerbescheid, Ermäßigungen."),
    (
        "bauantrag",
        "Bauantrag",
        "Bauvorhaben, Bauantrag stellen, Unterlagen und Stand des Verfahrens.",
    ),
    ("kfz-zulassung", "Kfz-Zulassung", "Fahrzeug zulassen, umschreiben oder außer Betrieb setzen."),
    ("wohnsitz-ummelden", "Wohnsitz ummelden", "Umzug melden, Meldebescheinigung, Nebenwohnung."),
    ("gewerbeanmeldung", "Gewerbeanmeldung", "Gewerbe an-, um- oder abmelden."),
]

CLERKS = [
    ("anna", "Anna", "Keller", "Anna K.", ["hundesteuer", "wohnsitz-ummelden", "gewerbeanmeldung"]),
    ("ben", "Ben", "Yilmaz", "Ben Y.", ["bauantrag", "gewerbeanmeldung"]),
    (
        "clara",
        "Clara",
        "Schmidt",
        "Clara S.",
        ["kfz-zulassung", "wohnsitz-ummelden", "hundesteuer"],
    ),
]

# Weekly appointment windows (weekday 0 = Monday, local time) per demo clerk.
AVAILABILITY = {
    "anna": [(0, "09:00", "12:00"), (2, "09:00", "12:00"), (3, "14:00", "17:00")],
    "ben": [(1, "09:00", "12:00"), (3, "09:00", "12:00"), (4, "09:00", "11:00")],
    "clara": [(0, "13:00", "16:00"), (1, "09:00", "12:00"), (4, "09:00", "12:00")],
}
# Appointment length per topic in minutes (default 15).
APPOINTMENT_MINUTES = {"bauantrag": 30, "gewerbeanmeldung": 20}

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
