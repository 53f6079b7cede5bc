"""The statistics roll-up (statistics/rollup.py, docs/metrics.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

# --- Statistics roll-up (consult/statistics/rollup.py, docs/metrics.md) ----------------------
# Additive figures per Europe/Berlin day of closed days, so that a year reads thousands of
# rows instead of hundreds of thousands. A day's rows exist only while its RollupDay exists;
# the domain deletes both when a consultation of that day changes (statistics/rollup.py).


class RollupDay(models.Model):
    """A Berlin day whose roll-up rows are complete, and the thresholds they were built with."""

    day = models.DateField(primary_key=True)
    built_at = models.DateTimeField(default=timezone.now)
    service_seconds = models.PositiveIntegerField()
    short_abandon_seconds = models.PositiveIntegerField()

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}"


class RollupFigures(models.Model):
    """Sums and counts of the consultations requested on one day, per topic, channel, walk-in
    or booked and clerk (no clerk: never answered)."""

    day = models.DateField()
    topic = models.ForeignKey("consult.Topic", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    booked = models.BooleanField(default=False)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    total = models.IntegerField()
    short_abandoned = models.IntegerField()
    answered = models.IntegerField()
    abandoned = models.IntegerField()
    ended = models.IntegerField()
    still_waiting = models.IntegerField()
    within = models.IntegerField()
    wait_sum = models.FloatField(null=True)
    max_wait = models.FloatField(null=True)
    handled = models.IntegerField()
    handle_sum = models.FloatField(null=True)
    ratings = models.IntegerField()
    rating_sum = models.IntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_figures_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.topic_id} {self.channel} {self.clerk_id}"


class RollupHour(models.Model):
    """Requests and waits per day and local hour (the weekday-by-hour heatmap)."""

    day = models.DateField()
    hour = models.SmallIntegerField()
    topic = models.ForeignKey("consult.Topic", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    booked = models.BooleanField(default=False)
    total = models.IntegerField()
    answered = models.IntegerField()
    wait_sum = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_hour_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.hour} {self.topic_id} {self.channel}"


class RollupWaits(models.Model):
    """How many answered consultations of a day waited within each bucket of
    ``consult.statistics.WAIT_EDGES``: the counts of buckets 0, 1, 2, ... separated by
    commas (one row per day, topic, channel and walk-in or booked; cheaper to read than a
    row per bucket or JSON). Locates exact percentiles without sorting the period's waits."""

    day = models.DateField()
    topic = models.ForeignKey("consult.Topic", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    booked = models.BooleanField(default=False)
    counts = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_waits_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.topic_id} {self.channel}"


class RollupBusy(models.Model):
    """Seconds of one Berlin day in which a clerk had at least one consultation, for all
    consultations (topic, channel and booked empty) and for every combination of a topic, a
    channel and walk-in or booked (the dashboard's filters)."""

    day = models.DateField()
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(
        "consult.Topic", on_delete=models.CASCADE, null=True, related_name="+"
    )
    channel = models.CharField(max_length=8, blank=True)
    booked = models.BooleanField(null=True)
    seconds = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_busy_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.clerk_id} {self.topic_id} {self.channel}"
