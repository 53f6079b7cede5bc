import os

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from consult import demo
from consult.consultations.models import Consultation
from consult.statistics.history import generate_history


class Command(BaseCommand):
    help = "Load (or refresh) the demo topics, clerks and manager, and print where to go."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="")

    def handle(self, *args: object, **options: str) -> None:
        demo.load_demo()
        if not Consultation.objects.filter(state=Consultation.State.ENDED).exists():
            made = generate_history(days=28, until=timezone.localdate())
            self.stdout.write(f"Demo history: {made} consultations over the last 28 days.")
        base = options["base_url"] or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        clerks = ", ".join(f"{c[0]} ({', '.join(c[4])})" for c in demo.CLERKS)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Sprechstunde is ready (demo data loaded).",
                    f"  Citizen page:   {base}/",
                    f"  Clerk console:  {base}/console/   logins: {clerks}",
                    f"  Statistics:     {base}/statistics/   login: {demo.MANAGER[0]} (manager)",
                    f"  Wallboard:      {base}/statistics/wallboard/",
                    f"  Administration: {base}/admin/     login: {demo.MANAGER[0]}",
                    f"  Password for every demo login: {demo.DEMO_PASSWORD}",
                    f"  Health:         {base}/healthz",
                    "",
                ]
            )
        )
