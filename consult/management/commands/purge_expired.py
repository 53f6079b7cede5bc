"""Delete what is past its retention period; prints the count per kind (safe to repeat)."""

from typing import Any

from django.core.management.base import BaseCommand

from consult.recording.retention import purge_expired


class Command(BaseCommand):
    help = "Delete chat logs, recordings and callback requests past their retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        for kind, count in purge_expired().items():
            self.stdout.write(f"{kind}: {count}")
