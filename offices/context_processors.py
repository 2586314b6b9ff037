from offices.admin_scope import is_admin_anywhere


def administration(request):
    """`may_administer` for the navigation: the admin link for those the admin admits."""
    user = getattr(request, "user", None)
    return {"may_administer": (lambda: is_admin_anywhere(user)) if user is not None else False}
