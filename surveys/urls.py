from django.urls import URLPattern, URLResolver, include, path, register_converter

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

# Kiosk: the page, its one-time enrolment link, its JSON API, the admin preview.
kiosk_api_patterns: list[URLPattern | URLResolver] = [
    path("ratings/", views.api_rating, name="kiosk_api_rating"),
    path("heartbeat/", views.api_heartbeat, name="kiosk_api_heartbeat"),
    path("session/", views.api_session, name="kiosk_api_session"),
]
kiosk_patterns: list[URLPattern | URLResolver] = [
    path("", views.kiosk_page, name="kiosk"),
    path("sw.js", views.kiosk_service_worker, name="kiosk_sw"),
    path("enrol/<str:token>/", views.kiosk_enrol, name="kiosk_enrol"),
    path("api/", include(kiosk_api_patterns)),
    path("preview/<id:version_id>/", views.kiosk_preview, name="kiosk_preview"),
]
# Own phone: public rating pages (rate-limited per address).
office_rating_patterns: list[URLPattern | URLResolver] = [
    path("", views.rate, name="rate"),
    path("desk/<id:desk_id>/", views.rate, name="rate_desk"),
]
phone_patterns: list[URLPattern | URLResolver] = [
    path("", views.choose_office, name="choose_office"),
    path("thanks/", views.thanks, name="thanks"),
    path("receipt/<str:token>/", views.rate_receipt, name="rate_receipt"),
    path("<id:office_id>/", include(office_rating_patterns)),
]
# Officials: printable QR posters and receipt codes for the offices in their scope.
poster_patterns: list[URLPattern | URLResolver] = [
    path("office/<id:office_id>/", views.office_poster, name="office_poster"),
    path("desk/<id:desk_id>/", views.desk_poster, name="desk_poster"),
    path("office/<id:office_id>/receipt/", views.receipt_qr, name="receipt_qr"),
]

urlpatterns = [
    path("kiosk/", include(kiosk_patterns)),
    path("r/", include(phone_patterns)),
    path("qr/", include(poster_patterns)),
    # Officials: managers review flagged ratings (confirm or lift, with a reason).
    path("flags/", flag_views.flag_list, name="flag_list"),
    path("flags/<uuid:pk>/review/", flag_views.flag_review, name="flag_review"),
]
