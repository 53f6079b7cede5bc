from django.core.management.base import BaseCommand, CommandError, CommandParser

from consult.catalogue.importer import CatalogueImportError, import_catalogue_file


class Command(BaseCommand):
    help = (
        "Import offices and services from a JSON or CSV file (docs/catalogue.md). All or "
        "nothing: any bad row is reported and nothing is changed. Re-importing updates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .json or .csv file")

    def handle(self, *args: object, **options: str) -> None:
        try:
            result = import_catalogue_file(path=options["file"])
        except CatalogueImportError as error:
            for problem in error.errors:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(error.errors)} problem(s) found; nothing was imported."
            ) from None
        self.stdout.write(
            f"Imported {result.created + result.updated} services "
            f"({result.created} new, {result.updated} updated) and {result.offices} offices."
        )
