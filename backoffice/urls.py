from django.urls import path

from backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("owners/", views.owners, name="owners"),
]
