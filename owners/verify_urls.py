from django.urls import path

from owners import verify

app_name = "verify"

urlpatterns = [
    path("check/", verify.lookup, name="lookup"),
    path("v/<str:number>/", verify.number, name="number"),
    path("v/<str:number>/photos/<str:key>.jpg", verify.photo, name="photo"),
    path("v/<str:number>/<str:proof>/", verify.card, name="card"),
]
