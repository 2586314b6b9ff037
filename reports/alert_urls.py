from django.urls import path

from reports import alert_views

app_name = "alerts"
urlpatterns = [
    path("", alert_views.alert_list, name="list"),
    path("<int:pk>/", alert_views.alert_detail, name="detail"),
    path("<int:pk>/acknowledge/", alert_views.acknowledge, name="acknowledge"),
]
