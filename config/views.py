from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def privacy(request: HttpRequest) -> HttpResponse:
    """What the system keeps about citizens, and for how long, from the settings in force."""
    survey = settings.SURVEY
    context = {
        "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
        "phone_window_minutes": max(1, survey["PHONE_WINDOW_SECONDS"] // 60),
        "phone_per_device": survey["PHONE_PER_DEVICE"],
        "phone_per_address": survey["PHONE_PER_ADDRESS"],
        "draft_minutes": max(1, settings.SUGGESTIONS["DRAFT_KEEP_SECONDS"] // 60),
        "kiosk_draft_minutes": max(1, settings.SUGGESTIONS["KIOSK_DRAFT_KEEP_SECONDS"] // 60),
    }
    return render(request, "privacy.html", context)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 after a database round-trip; 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
