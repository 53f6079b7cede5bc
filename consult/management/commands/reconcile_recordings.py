"""Register the recordings whose live report was lost, from the manifests beside the files
(consult/recording/reconcile.py; safe to repeat, and to run beside the web processes)."""

from typing import Any

from django.core.management.base import BaseCommand

from consult.recording.reconcile import reconcile_recordings


class Command(BaseCommand):
    help = "Register finished recording files from their manifests (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = reconcile_recordings()
        self.stdout.write(f"registered: {result.registered}")
        self.stdout.write(f"already registered: {result.already}")
        self.stdout.write(f"deleted (consent withdrawn): {result.deleted}")
        self.stdout.write(f"refused: {result.refused}")
        for name in result.refused_manifests:
            self.stderr.write(f"refused manifest: {name}")
