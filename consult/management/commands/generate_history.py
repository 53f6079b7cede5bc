from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from consult.statistics.history import generate_history


class Command(BaseCommand):
    help = "Generate realistic consultation history (for demos and the statistics benchmark)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=28)
        parser.add_argument("--per-day", type=int, default=60)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: object, **options: int) -> None:
        made = generate_history(
            days=options["days"],
            per_day=options["per_day"],
            seed=options["seed"],
            until=timezone.localdate(),
        )
        self.stdout.write(f"{made} consultations generated over {options['days']} days.")
