from typing import Any

from django.urls import path

from . import consumers

# django-stubs types path() for HTTP views only; an ASGI app is what Channels' URLRouter wants.
citizen: Any = consumers.CitizenChatConsumer.as_asgi()
clerk_chat: Any = consumers.ClerkChatConsumer.as_asgi()
clerk_queue: Any = consumers.ClerkQueueConsumer.as_asgi()
wallboard: Any = consumers.WallboardConsumer.as_asgi()

websocket_urlpatterns = [
    path("ws/citizen/<str:token>/", citizen),
    path("ws/clerk/consultations/<int:consultation_id>/", clerk_chat),
    path("ws/clerk/queue/", clerk_queue),
    path("ws/wallboard/", wallboard),
]
