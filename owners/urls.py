from django.urls import path

from owners import declarations, registrations, views

app_name = "owners"

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("register/person/", views.register_person, name="register_person"),
    path("register/organisation/", views.register_organisation, name="register_organisation"),
    path("sms/send/", views.send_code, name="send_code"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("logout/everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("account/", views.account, name="account"),
    path("account/id-number/", views.account_id_number, name="account_id_number"),
    path("account/agents/request/", views.agent_request, name="agent_request"),
    path("account/agents/confirm/", views.agent_confirm, name="agent_confirm"),
    path(
        "account/consents/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    # The declaration wizard (manual 第四步 to 第六步).
    path("declarations/", declarations.declarations, name="declarations"),
    path("declarations/new/", declarations.declaration_new, name="declaration_new"),
    path(
        "declarations/check-group/",
        declarations.declaration_check_group,
        name="declaration_check_group",
    ),
    path("declarations/<int:pk>/", declarations.declaration, name="declaration"),
    path(
        "declarations/<int:pk>/step/<int:step>/",
        declarations.declaration_step,
        name="declaration_step",
    ),
    path(
        "declarations/<int:pk>/summary/",
        declarations.declaration_summary,
        name="declaration_summary",
    ),
    path(
        "declarations/<int:pk>/submit/", declarations.declaration_submit, name="declaration_submit"
    ),
    path(
        "declarations/<int:pk>/photos/",
        declarations.declaration_photo_upload,
        name="declaration_photo_upload",
    ),
    path(
        "declarations/<int:pk>/photos/<int:photo_id>/delete/",
        declarations.declaration_photo_delete,
        name="declaration_photo_delete",
    ),
    path("photos/<int:pk>/", declarations.photo, name="photo"),
    # 我的机械: signs and cards, the sign photo, the papers (manual step 7, Art. 10).
    path("registrations/<int:pk>/", registrations.registration, name="registration"),
    path(
        "registrations/<int:pk>/sign-photo/",
        registrations.sign_photo_upload,
        name="registration_sign_photo",
    ),
    path("registrations/<int:pk>/guide.pdf", registrations.guide_pdf, name="registration_guide"),
    path("registrations/<int:pk>/form.pdf", registrations.form_pdf, name="registration_form"),
    path("sign-photos/<int:pk>/", registrations.sign_photo, name="registration_photo"),
]
