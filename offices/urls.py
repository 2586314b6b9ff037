from django.urls import path

from offices import views

app_name = "offices"
urlpatterns = [
    path("", views.my_offices, name="my_offices"),
    path("<int:office_id>/", views.office_detail, name="office_detail"),
]
