from django.urls import path

from . import appointment_views as views

app_name = "appointments"

urlpatterns = [
    path("<slug:topic>/", views.book, name="book"),
    path("t/<str:token>/", views.manage, name="manage"),
    path("t/<str:token>/bestaetigt/", views.confirmed, name="confirmed"),
    path("t/<str:token>/termin.ics", views.calendar, name="calendar"),
    path("t/<str:token>/absagen/", views.cancel, name="cancel"),
    path("t/<str:token>/verschieben/", views.reschedule, name="reschedule"),
    path("t/<str:token>/teilnehmen/", views.join, name="join"),
]
