from django.urls import path

from offices import views

app_name = "offices"
urlpatterns = [
    path("", views.my_offices, name="my_offices"),
    path("<int:office_id>/", views.office_detail, name="office_detail"),
    # An officer's counter session, from their own phone or PC.
    path("serving/", views.serving, name="serving"),
    path("serving/stop/", views.stop_serving, name="stop_serving"),
    # A staff photo: private, for the kiosk of the officer's office and officials over it.
    path("staff/<int:staff_id>/photo/", views.staff_photo, name="staff_photo"),
]
