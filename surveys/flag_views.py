"""Managers review flagged ratings: the list of their subtree's, and confirming or lifting.

The list starts from the offices the user manages (`visible_to(user, Role.MANAGER)`);
a review fetches its rating through `get_in_scope` (404 outside the scope, 403 for a
viewer). The decision itself is `Response.review_flag` (roll-ups and audit included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.months import instant_window
from common.requests import AuthenticatedRequest
from offices.models import Office, Role, holds_role_anywhere
from offices.scope import get_in_scope
from surveys.flags import KIND_LABELS, kind_of, local_day, reason_kind
from surveys.forms import FlagFilterForm, FlagReviewForm
from surveys.models import Answer, FlagDecision, FlagReview, FlagReviewError, Response

if TYPE_CHECKING:
    from uuid import UUID

    from django.http import HttpRequest, HttpResponse

    from surveys.models import ResponseQuerySet

PAGE_SIZE = 25


def _with_details(ratings: ResponseQuerySet) -> ResponseQuerySet:
    answers = Answer.objects.select_related("question", "choice").order_by("question__code", "pk")
    reviews = FlagReview.objects.select_related("reviewed_by").order_by("reviewed_at", "pk")
    return ratings.select_related("office", "desk", "staff", "kiosk").prefetch_related(
        Prefetch("answers", queryset=answers), Prefetch("flag_reviews", queryset=reviews)
    )


@login_required
def flag_list(request: HttpRequest) -> HttpResponse:
    if not holds_role_anywhere(request.user, Role.MANAGER):
        raise PermissionDenied
    offices = Office.objects.visible_to(request.user, Role.MANAGER)
    form = FlagFilterForm(request.GET or None, offices=offices)
    ratings = Response.objects.filter(office__in=offices)
    filters = form.cleaned_data if form.is_valid() else {}
    if filters.get("state") == "lifted":
        ratings = ratings.filter(is_misuse=False, flag_reviews__decision=FlagDecision.LIFTED)
    else:
        ratings = ratings.filter(is_misuse=True)
    if filters.get("office"):
        ratings = ratings.filter(office=filters["office"])
    if filters.get("reason"):
        ratings = ratings.alias(kind=reason_kind()).filter(kind=filters["reason"])
    if filters.get("month"):
        month = filters["month"]
        low, high = instant_window(month.start, month.end)
        ratings = ratings.filter(submitted_at__gte=low, submitted_at__lt=high)
        ratings = ratings.alias(day=local_day()).filter(day__gte=month.start, day__lt=month.end)
    ratings = _with_details(ratings.distinct().order_by("-submitted_at", "pk"))
    page = Paginator(ratings, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [(r, _kind_label(r)) for r in page],
        "review_form": FlagReviewForm(),
    }
    return render(request, "surveys/flags.html", context)


def _kind_label(rating: Response) -> str:
    return str(KIND_LABELS[kind_of(rating.misuse_reason)])


@login_required
@require_POST
def flag_review(request: AuthenticatedRequest, pk: UUID) -> HttpResponse:
    rating = get_in_scope(
        request.user, Response.objects.select_related("office__unit"), min_role=Role.MANAGER, pk=pk
    )
    form = FlagReviewForm(request.POST)
    if not form.is_valid():
        return _review_page(request, rating, form, status=400)
    decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
    try:
        rating.review_flag(decision, by=request.user, reason=reason, request=request)
    except FlagReviewError as error:
        form.add_error(None, error.message)
        return _review_page(request, rating, form, status=409)
    if decision == FlagDecision.LIFTED:
        messages.success(request, _("Flag lifted: the rating now counts in the figures."))
    else:
        messages.success(request, _("Flag confirmed: the rating stays excluded."))
    return redirect(f"{reverse('surveys:flag_list')}?office={rating.office_id}")


def _review_page(
    request: HttpRequest, rating: Response, form: FlagReviewForm, *, status: int
) -> HttpResponse:
    rating = _with_details(Response.objects.filter(pk=rating.pk)).get()
    context = {"rating": rating, "kind": _kind_label(rating), "review_form": form}
    return render(request, "surveys/flag_review.html", context, status=status)
