from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def empty_post(request):
    request.read(64 * 1024)
    return JsonResponse({"status": "ok"}, status=201)


urlpatterns = [path("bench/empty/", empty_post), path("survey/", include("survey.urls"))]
