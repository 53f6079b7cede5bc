"""Creates what a scenario needs in its fresh database, through the models as the admin does:
one auto-offer topic without opening hours (always open, no staffing needed to start) and
clerks who serve it.

    DATABASE_URL=... python -m tests.bench.live.setup_data --clerks 3 --capacity 3

Clerks are ``bench-clerk-<k>`` (k from 0) with the password ``actors.PASSWORD``, offline until their
console sets them available.
"""

import argparse
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402

from consult.catalogue.models import Topic  # noqa: E402
from consult.staff.models import StaffProfile  # noqa: E402
from tests.bench.live.actors import PASSWORD, TOPIC, clerk_name  # noqa: E402


@transaction.atomic
def create(*, clerks: int, capacity: int) -> None:
    topic = Topic.objects.create(name="Benchmark", slug=TOPIC)
    hashed = make_password(PASSWORD)  # once: hashing is deliberately slow
    for k in range(clerks):
        user = get_user_model().objects.create(username=clerk_name(k), password=hashed)
        profile = StaffProfile.objects.create(
            user=user, display_name=f"Clerk {k}", capacity=capacity
        )
        profile.topics.set([topic])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--clerks", type=int, required=True)
    parser.add_argument("--capacity", type=int, required=True)
    arguments = parser.parse_args()
    create(clerks=arguments.clerks, capacity=arguments.capacity)
