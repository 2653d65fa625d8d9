from django.urls import path

from backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("owners/", views.owners, name="owners"),
    path("review/", views.review_queue_view, name="review_queue"),
    path("review/<int:pk>/", views.review, name="review"),
    path("review/<int:pk>/approve/", views.approve, name="approve"),
    path("review/<int:pk>/return/", views.return_, name="return"),
    path("review/<int:pk>/refuse/", views.refuse, name="refuse"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("intake/", views.intake, name="intake"),
]
