"""Back office for district and city staff. Role access is enforced by AccessMiddleware."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from accounts.queries import search_owners
from core.reference import city
from owners.views import login_view


def login(request: HttpRequest) -> HttpResponse:
    return login_view(request, template="backoffice/login.html")


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    district = city().district(user.district) if user.district else None
    return render(request, "backoffice/home.html", {"me": user, "district": district})


def owners(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = list(search_owners(query)) if query else []
    return render(request, "backoffice/owners.html", {"query": query, "results": results})
