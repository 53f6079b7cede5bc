from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/citizen/<str:token>/", consumers.CitizenChatConsumer.as_asgi()),
    path(
        "ws/clerk/consultations/<int:consultation_id>/", consumers.ClerkChatConsumer.as_asgi()
    ),
    path("ws/clerk/queue/", consumers.ClerkQueueConsumer.as_asgi()),
]
