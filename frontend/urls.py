from django.contrib.auth import views as auth_views
from django.urls import path

from . import (
    calendar_views,
    catalogue_views,
    document_views,
    legal_views,
    note_views,
    question_views,
    recording_views,
    snippet_views,
    statistics_views,
    transcript_views,
    views,
)

app_name = "frontend"

urlpatterns = [
    path("", views.start, name="start"),
    path("consultations/", views.start_consultation, name="start_consultation"),
    path("video/<slug:topic>/", views.video_check, name="video_check"),
    path("c/<str:token>/", views.room, name="room"),
    path("c/<str:token>/leave/", views.leave, name="leave"),
    path(
        "c/<str:token>/transcript.<str:extension>",
        transcript_views.citizen_transcript,
        name="transcript",
    ),
    path("c/<str:token>/documents/", document_views.citizen_upload, name="document_upload"),
    path(
        "c/<str:token>/documents/<int:pk>/",
        document_views.citizen_download,
        name="document_download",
    ),
    path(
        "console/consultations/<int:pk>/documents/",
        document_views.clerk_upload,
        name="clerk_document_upload",
    ),
    path(
        "console/consultations/<int:pk>/documents/<int:document>/",
        document_views.clerk_download,
        name="clerk_document_download",
    ),
    path(
        "console/consultations/<int:pk>/notes/",
        note_views.consultation_notes,
        name="consultation_notes",
    ),
    path("console/snippets/", snippet_views.console_snippets, name="console_snippets"),
    path("console/history/", transcript_views.history, name="history"),
    path(
        "console/history/<int:pk>/transcript.<str:extension>",
        transcript_views.clerk_transcript,
        name="clerk_transcript",
    ),
    path("console/calendar/", calendar_views.calendar, name="calendar"),
    path("console/calendar/feed/new/", calendar_views.new_calendar_feed, name="new_calendar_feed"),
    path(
        "console/calendar/feed/revoke/",
        calendar_views.revoke_calendar_feed,
        name="revoke_calendar_feed",
    ),
    path("console/calendar/<str:secret>.ics", calendar_views.calendar_feed, name="calendar_feed"),
    path("c/<str:token>/feedback/", views.rate, name="rate"),
    path("console/", views.console, name="console"),
    path("console/login/", views.StaffLoginView.as_view(), name="login"),
    path("console/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/", views.staff_home, name="staff_home"),
    path("statistics/", statistics_views.dashboard, name="statistics"),
    path("statistics/figures.csv", statistics_views.export_figures, name="export_figures"),
    path(
        "statistics/figures.xlsx",
        statistics_views.export_figures_xlsx,
        name="export_figures_xlsx",
    ),
    path(
        "statistics/consultations.csv",
        statistics_views.export_consultations,
        name="export_consultations",
    ),
    path("statistics/wallboard/", statistics_views.wallboard, name="wallboard"),
    path("healthz", views.healthz, name="healthz"),
    path("impressum/", legal_views.imprint, name="imprint"),
    path("datenschutz/", legal_views.privacy, name="privacy"),
    path("barrierefreiheit/", legal_views.accessibility, name="accessibility"),
    path("recordings/", recording_views.recording_list, name="recordings"),
    path("recordings/files/<int:pk>/", recording_views.recording_file, name="recording_file"),
    path("services/", catalogue_views.catalogue, name="catalogue"),
    path("services/<slug:slug>/", catalogue_views.service, name="service"),
    path("navigator/", catalogue_views.navigate, name="navigator"),
    path("requests/new/", catalogue_views.leave_request, name="leave_request"),
    path("questions/new/", question_views.ask, name="ask_question"),
    path("console/questions/<int:pk>/take/", question_views.take, name="take_question"),
    path("requests/thanks/", catalogue_views.request_thanks, name="request_thanks"),
    path("console/requests/", catalogue_views.console_requests, name="console_requests"),
    path(
        "console/requests/<int:pk>/done/",
        catalogue_views.complete_request,
        name="complete_request",
    ),
]
