from django.urls import path

from backoffice import credentials, overdue, totp, views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/code/", totp.login_code, name="login_code"),
    path("totp/", totp.setup, name="totp_setup"),
    path("owners/", views.owners, name="owners"),
    path("owners/<int:pk>/id-number/", views.owner_id_number, name="owner_id_number"),
    path("review/", views.review_queue_view, name="review_queue"),
    path("review/<int:pk>/", views.review, name="review"),
    path("review/<int:pk>/approve/", views.approve, name="approve"),
    path("review/<int:pk>/return/", views.return_, name="return"),
    path("review/<int:pk>/refuse/", views.refuse, name="refuse"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("intake/", views.intake, name="intake"),
    path("overdue/", overdue.overdue, name="overdue"),
    # Signs and cards (Art. 9-10)
    path("credentials/", credentials.credentials, name="credentials"),
    path("credentials/produce/", credentials.produce, name="credentials_produce"),
    path("credentials/notify/", credentials.notify, name="credentials_notify"),
    path("credentials/signs.pdf", credentials.signs_pdf, name="signs_pdf"),
    path("credentials/cards.pdf", credentials.cards_pdf, name="cards_pdf"),
    path(
        "credentials/<int:pk>/<str:kind>",
        credentials.credential_file,
        name="credential_file",
    ),
    path("credentials/<int:pk>/collect/", credentials.collect, name="collect"),
    path("collection/", credentials.collection, name="collection"),
    path("sign-photos/<int:pk>/", credentials.sign_photo, name="sign_photo"),
    path("sign-photos/<int:pk>/confirm/", credentials.photo_confirm, name="sign_photo_confirm"),
    path("sign-photos/<int:pk>/reject/", credentials.photo_reject, name="sign_photo_reject"),
    path("registrations/", credentials.registrations, name="registrations"),
    path("registrations/<int:pk>/", credentials.registration, name="registration"),
    path(
        "registrations/<int:pk>/form.pdf",
        credentials.registration_form_pdf,
        name="registration_form_pdf",
    ),
]
