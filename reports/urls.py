from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import include, path, register_converter

from reports import views

if TYPE_CHECKING:
    from common.months import Month


class KindConverter:
    regex = "unit|office|desk|staff"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class MonthConverter:
    """Shape only ("YYYY-MM"); the view checks the range and answers 404 outside it."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: Month | str) -> str:
        return str(value)


class TableFormatConverter:
    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(KindConverter, "kind")
register_converter(MonthConverter, "month")
register_converter(TableFormatConverter, "tablefmt")

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("monthly/", views.pick, name="pick"),
    path("method/", views.method, name="method"),
    path("dossiers/import/", views.import_dossiers, name="import_dossiers"),
    path("inspections/", views.inspections, name="inspections"),
    path("reform/", include("reports.reform")),
    path("<kind:kind>/<int:pk>/<month:month>/", views.report, name="report"),
    path("<kind:kind>/<int:pk>/<month:month>/comments/", views.comments, name="comments"),
    path(
        "<kind:kind>/<int:pk>/<month:month>/tables.<tablefmt:fmt>",
        views.export_tables,
        name="export_tables",
    ),
    path(
        "<kind:kind>/<int:pk>/<month:month>/responses.<tablefmt:fmt>",
        views.export_responses,
        name="export_responses",
    ),
    path("<kind:kind>/<int:pk>/<month:month>/report.pdf", views.export_pdf, name="export_pdf"),
    path("comments/<int:answer_id>/visibility/", views.hide_comment, name="hide_comment"),
]
