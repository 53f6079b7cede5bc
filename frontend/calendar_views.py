"""The clerk's calendar in the console (today and a week of their appointments) and their
personal read-only calendar subscription (``.ics``). docs/appointments.md."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from consult.appointments import feed, selectors
from consult.staff import selectors as staff_selectors
from consult.staff.models import StaffProfile

SHOWN_ONCE = "calendar_feed_address"  # the new address, shown once after it was made


def _profile_or_403(request: HttpRequest) -> StaffProfile:
    profile = staff_selectors.clerk_profile(request.user)
    if profile is None:
        raise PermissionDenied
    return profile


def _week_asked(request: HttpRequest, today: date) -> date:
    try:
        return date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return today


@login_required
@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    profile = _profile_or_403(request)
    now = timezone.now()
    today = timezone.localdate(now)
    monday, sunday = selectors.week_of(_week_asked(request, today))
    secret = request.session.pop(SHOWN_ONCE, None)
    return render(
        request,
        "frontend/calendar.html",
        {
            "today": selectors.clerk_calendar(profile=profile, first=today, last=today, now=now)[0],
            "week": selectors.clerk_calendar(profile=profile, first=monday, last=sunday, now=now),
            "monday": monday,
            "sunday": sunday,
            "previous_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "this_week": selectors.week_of(today)[0] == monday,
            "has_feed": selectors.has_calendar_feed(profile),
            "feed_url": settings.SITE_URL
            + reverse("frontend:calendar_feed", kwargs={"secret": secret})
            if secret
            else "",
        },
    )


@login_required
@require_POST
def new_calendar_feed(request: HttpRequest) -> HttpResponse:
    _profile_or_403(request)
    request.session[SHOWN_ONCE] = feed.regenerate_calendar_feed(clerk=request.user)
    return redirect(reverse("frontend:calendar") + "#feed-heading")


@login_required
@require_POST
def revoke_calendar_feed(request: HttpRequest) -> HttpResponse:
    _profile_or_403(request)
    feed.revoke_calendar_feed(clerk=request.user)
    request.session.pop(SHOWN_ONCE, None)
    return redirect(reverse("frontend:calendar") + "#feed-heading")


@require_safe
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The subscription itself: no session, the secret in the address is the credential."""
    profile = feed.clerk_for_feed(secret=secret)
    if profile is None:
        raise Http404
    response = HttpResponse(
        feed.feed_calendar(profile=profile), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="sprechstunde.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["Referrer-Policy"] = "no-referrer"
    return response
