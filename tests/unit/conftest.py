import pytest
from django.contrib.auth.models import Group, Permission

from tests.appointment_helpers import available, next_weekday


@pytest.fixture
def catalogue(db):
    """The demo topics and the demo catalogue, imported like `make run` does (without the
    demo accounts, whose password hashing is slow)."""
    from consult import demo
    from consult.catalogue.importer import import_catalogue_file
    from consult.catalogue.models import Topic

    for order, (slug, name, description) in enumerate(demo.TOPICS):
        Topic.objects.create(slug=slug, name=name, description=description, sort_order=order)
    import_catalogue_file(path=demo.CATALOGUE_FILE)


@pytest.fixture
def manager(django_user_model):
    """A manager: may see the statistics, has no clerk profile."""
    user = django_user_model.objects.create_user(username="maria", password="pw-maria")
    group = Group.objects.create(name="Leitung")
    group.permissions.add(Permission.objects.get(codename="view_statistics"))
    user.groups.add(group)
    return user


@pytest.fixture
def anna(topic, make_clerk):
    """A clerk of the topic with appointment slots on Mondays, 9 to 10."""
    user = make_clerk("anna", [topic])
    available(user, 0, "09:00", "10:00")
    return user


@pytest.fixture
def day():
    """The next Monday (``anna``'s day)."""
    return next_weekday(0)


@pytest.fixture
def chat(topic, make_clerk):
    """A chat on Hundesteuer that the clerk Anna has accepted (active)."""
    from consult.queue import lifecycle, routing

    clerk = make_clerk("anna", [topic])
    consultation = lifecycle.start_consultation(topic_slug="hundesteuer")
    routing.accept(consultation_id=consultation.pk, clerk=clerk)
    consultation.refresh_from_db()
    return consultation
