from datetime import date

from django.core.management.base import BaseCommand, CommandParser

from consult.statistics import rollup


class Command(BaseCommand):
    help = (
        "Build the statistics roll-up of closed days that lack it (changed since, or built "
        "with other thresholds); run nightly. --all builds every day again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="rebuild every closed day")
        parser.add_argument("--since", type=date.fromisoformat, help="first day (YYYY-MM-DD)")

    def handle(self, *args: object, **options: object) -> None:
        since = options["since"]
        built = rollup.build(
            first=since if isinstance(since, date) else None, everything=bool(options["all"])
        )
        if not rollup.enabled():
            self.stdout.write("The roll-up needs PostgreSQL; SQLite reads the consultations.")
            return
        self.stdout.write(f"{built} days rolled up.")
