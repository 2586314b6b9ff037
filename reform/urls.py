from django.urls import path, register_converter

from reform import views


class FormatConverter:
    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "reformfmt")

app_name = "reform"
urlpatterns = [
    path("", views.home, name="home"),
    path("method/", views.method, name="method"),
    path("sets/import/", views.set_import, name="set_import"),
    path("sets/<int:pk>/criteria.<reformfmt:fmt>", views.set_export, name="set_export"),
    path("sets/<int:set_pk>/units/<int:unit_pk>/", views.assessment, name="assessment"),
    path("sets/<int:set_pk>/units/<int:unit_pk>/self/", views.self_assess, name="self_assess"),
    path(
        "sets/<int:set_pk>/units/<int:unit_pk>/evidence/",
        views.upload_evidence,
        name="upload_evidence",
    ),
    path("sets/<int:set_pk>/units/<int:unit_pk>/submit/", views.submit, name="submit"),
    path("sets/<int:set_pk>/units/<int:unit_pk>/appraise/", views.appraise, name="appraise"),
    path(
        "sets/<int:set_pk>/units/<int:unit_pk>/appraise/finish/",
        views.finish_appraisal,
        name="finish_appraisal",
    ),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
]
