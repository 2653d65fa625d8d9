from django.urls import path

from inspections import views

app_name = "inspections"

urlpatterns = [
    # Art. 15: checking machines in the field (inspectors and district staff, on a phone).
    path("", views.home, name="home"),
    path("new/", views.new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("checks/<int:pk>/", views.check, name="check"),
    path("checks/<int:pk>/order/", views.order, name="order"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("district/", views.district_checks, name="district_checks"),
    # Art. 16: rectification orders (owners answer, the district closes).
    path("rectifications/", views.rectifications, name="rectifications"),
    path("rectifications/<int:pk>/", views.rectification, name="rectification"),
    path("rectifications/<int:pk>/answer/", views.answer, name="answer"),
    path("rectifications/<int:pk>/close/", views.close, name="close"),
    path("answer-photos/<int:pk>/", views.answer_photo, name="answer_photo"),
]
