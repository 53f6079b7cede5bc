from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["frontend"]), name="javascript-catalog"),
    path("termin/", include("frontend.appointment_urls")),
    path("", include("frontend.widget_urls")),
    path("", include("frontend.urls")),
]

handler400 = "frontend.error_views.bad_request"
handler403 = "frontend.error_views.permission_denied"
handler404 = "frontend.error_views.page_not_found"
handler500 = "frontend.error_views.server_error"
