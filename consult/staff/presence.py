"""The clerks' status history (for occupancy in the statistics)."""

from datetime import datetime

from consult.staff.models import StatusPeriod


def record_status(*, clerk_id: int, status: str, now: datetime) -> None:
    """Close the clerk's open status period and open one for ``status``. The caller holds a
    transaction and has changed ``StaffProfile.status``."""
    StatusPeriod.objects.filter(clerk_id=clerk_id, ended_at__isnull=True).update(ended_at=now)
    StatusPeriod.objects.create(clerk_id=clerk_id, status=status, started_at=now)
