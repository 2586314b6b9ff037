from django.urls import path

from inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.create, name="create"),
    path("report/", views.report, name="report"),
    path("export/register.<str:fmt>", views.export_register, name="export_register"),
    path("export/counts.<str:fmt>", views.export_counts, name="export_counts"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/attachment/", views.attachment, name="attachment"),
    path("<int:pk>/cases/new/", views.case_form, name="case_create"),
    path("<int:pk>/cases/<int:case_pk>/edit/", views.case_form, name="case_edit"),
    path("<int:pk>/cases/<int:case_pk>/delete/", views.case_delete, name="case_delete"),
]
