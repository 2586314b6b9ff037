from django.urls import URLPattern, URLResolver, include, path

from inspections import views

app_name = "inspections"

# One inspection's own pages, below /<pk>/; its disciplinary cases below /<pk>/cases/.
case_patterns: list[URLPattern | URLResolver] = [
    path("new/", views.case_form, name="case_create"),
    path("<int:case_pk>/edit/", views.case_form, name="case_edit"),
    path("<int:case_pk>/delete/", views.case_delete, name="case_delete"),
]
inspection_patterns: list[URLPattern | URLResolver] = [
    path("", views.detail, name="detail"),
    path("edit/", views.edit, name="edit"),
    path("attachment/", views.attachment, name="attachment"),
    path("cases/", include(case_patterns)),
]
export_patterns: list[URLPattern | URLResolver] = [
    path("register.<str:fmt>", views.export_register, name="export_register"),
    path("counts.<str:fmt>", views.export_counts, name="export_counts"),
]

urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.create, name="create"),
    path("report/", views.report, name="report"),
    path("export/", include(export_patterns)),
    path("<int:pk>/", include(inspection_patterns)),
]
