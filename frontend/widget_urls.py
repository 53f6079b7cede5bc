from django.urls import path

from . import widget_views

app_name = "widget"

urlpatterns = [
    path("widget.js", widget_views.script, name="script"),
    path("widget/<slug:topic>/", widget_views.topic, name="topic"),
]
