# A done callback request always has done_at (the admin could leave it empty, and then the
# retention command never deleted its personal data). Rows done without a time get the time
# of this migration, so their retention period runs from now.

from django.db import migrations, models
from django.utils import timezone


def give_done_requests_a_time(apps, schema_editor):
    CallbackRequest = apps.get_model("consult", "CallbackRequest")
    CallbackRequest.objects.filter(state="done", done_at__isnull=True).update(
        done_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("consult", "0008_booked"),
    ]

    operations = [
        migrations.RunPython(give_done_requests_a_time, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="callbackrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(("state", "open"), ("done_at__isnull", False), _connector="OR"),
                name="callback_done_has_time",
            ),
        ),
    ]
