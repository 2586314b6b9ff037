from django.urls import path

from suggestions import views

app_name = "suggestions"
urlpatterns = [
    # Citizens (no login)
    path("new/", views.new, name="new"),
    path("sent/<str:code>/", views.sent, name="sent"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.status, name="status"),
    path("boards/", views.boards, name="boards"),
    path("boards/<int:office_id>/", views.board, name="board"),
    # Officials
    path("", views.suggestion_list, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/seen/", views.mark_seen, name="mark_seen"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/close/", views.close, name="close"),
]
