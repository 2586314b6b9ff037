from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from offices.models import Office, memberships_of, visible_lineage
from offices.scope import get_in_scope


@login_required
def my_offices(request):
    """The offices in the official's scope, grouped under their units."""
    offices = Office.objects.visible_to(request.user).select_related("unit")
    memberships = memberships_of(request.user)
    return render(
        request,
        "offices/my_offices.html",
        {"offices": offices, "memberships": memberships},
    )


@login_required
def office_detail(request, office_id: int):
    office = get_in_scope(request.user, Office.objects.select_related("unit"), pk=office_id)
    lineage = visible_lineage(request.user, office.unit)
    return render(
        request,
        "offices/office_detail.html",
        {
            "office": office,
            "lineage": lineage,
            "desks": office.desks.prefetch_related("procedure_fields", "staff"),
            "current_month": timezone.localtime(timezone.now(), office.tz).strftime("%Y-%m"),
        },
    )
