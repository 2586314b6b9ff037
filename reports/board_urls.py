from django.urls import path

from reports import board_views

app_name = "board"
urlpatterns = [
    path("<int:office_id>/", board_views.board_page, name="board"),
    path("<int:office_id>/poster/", board_views.board_poster, name="poster"),
]
