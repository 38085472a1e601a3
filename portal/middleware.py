from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login (anonymous users are sent to the login page), except the API,
    which answers 401/403 itself, and the admin, which has its own login page."""

    exempt_prefixes = ("/api/", "/admin/", "/static/")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.exempt_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
