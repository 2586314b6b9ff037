"""The project's URLs plus the empty POST view the kiosk API is compared with."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urlpatterns


@csrf_exempt
@never_cache
def empty_post(request):
    """Reads the body and answers, touching no database: Django's floor cost per POST."""
    request.read(64 * 1024)
    return JsonResponse({"status": "ok"}, status=201)


urlpatterns = [path("bench/empty/", empty_post), *project_urlpatterns]
