from django.urls import path, register_converter

from surveys import flag_views, views


class IdConverter:
    """A database id: at most 18 digits, so an absurd number is a 404, not a bigint error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

app_name = "surveys"
urlpatterns = [
    # Kiosk: the page, its one-time enrolment link, its JSON API, the admin preview.
    path("kiosk/", views.kiosk_page, name="kiosk"),
    path("kiosk/sw.js", views.kiosk_service_worker, name="kiosk_sw"),
    path("kiosk/enrol/<str:token>/", views.kiosk_enrol, name="kiosk_enrol"),
    path("kiosk/api/ratings/", views.api_rating, name="kiosk_api_rating"),
    path("kiosk/api/heartbeat/", views.api_heartbeat, name="kiosk_api_heartbeat"),
    path("kiosk/api/session/", views.api_session, name="kiosk_api_session"),
    path("kiosk/preview/<id:version_id>/", views.kiosk_preview, name="kiosk_preview"),
    # Own phone: public rating pages (rate-limited per address).
    path("r/", views.choose_office, name="choose_office"),
    path("r/thanks/", views.thanks, name="thanks"),
    path("r/receipt/<str:token>/", views.rate_receipt, name="rate_receipt"),
    path("r/<id:office_id>/", views.rate, name="rate"),
    path("r/<id:office_id>/desk/<id:desk_id>/", views.rate, name="rate_desk"),
    # Officials: printable QR posters and receipt codes for the offices in their scope.
    path("qr/office/<id:office_id>/", views.office_poster, name="office_poster"),
    path("qr/desk/<id:desk_id>/", views.desk_poster, name="desk_poster"),
    path("qr/office/<id:office_id>/receipt/", views.receipt_qr, name="receipt_qr"),
    # Officials: managers review flagged ratings (confirm or lift, with a reason).
    path("flags/", flag_views.flag_list, name="flag_list"),
    path("flags/<uuid:pk>/review/", flag_views.flag_review, name="flag_review"),
]
