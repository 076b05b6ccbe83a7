"""The desk's own login and log-out: Django's views with the desk's look.

The admin's login lets in staff accounts only; owners and managers need not be staff to use
the desk, so it has its own page (rate-limited like every login, see ``organizer/urls.py``).
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from common.pages import page_context
from organizer.views.base import desk_languages


class DeskLoginView(auth_views.LoginView):
    template_name = "organizer/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("desk:home")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **page_context(self.request, switcher_next=self.request.get_full_path()),
            "languages": desk_languages(),
        }


class DeskLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("desk:login")
