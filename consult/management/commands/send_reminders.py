from django.core.management.base import BaseCommand

from consult.appointments import booking


class Command(BaseCommand):
    help = (
        "Send due appointment reminders and release no-shows. Run it every few minutes "
        "(cron or a systemd timer); running it twice at once sends nothing twice."
    )

    def handle(self, *args: object, **options: object) -> None:
        released = booking.release_no_shows()
        sent = booking.send_reminders()
        self.stdout.write(f"Reminders sent: {sent}. No-shows released: {released}.")
