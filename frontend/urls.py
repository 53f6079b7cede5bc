from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "frontend"

urlpatterns = [
    path("", views.start, name="start"),
    path("consultations/", views.start_consultation, name="start_consultation"),
    path("c/<str:token>/", views.room, name="room"),
    path("c/<str:token>/leave/", views.leave, name="leave"),
    path("console/", views.console, name="console"),
    path("console/login/", views.ClerkLoginView.as_view(), name="login"),
    path("console/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
]
