from django.urls import path

from owners import views

app_name = "owners"

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("register/person/", views.register_person, name="register_person"),
    path("register/organisation/", views.register_organisation, name="register_organisation"),
    path("sms/send/", views.send_code, name="send_code"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("account/", views.account, name="account"),
    path("account/agents/request/", views.agent_request, name="agent_request"),
    path("account/agents/confirm/", views.agent_confirm, name="agent_confirm"),
    path(
        "account/consents/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
]
