from django.urls import path, re_path

from owners import verify

app_name = "verify"

urlpatterns = [
    path("check/", verify.lookup, name="lookup"),
    path("v/<str:number>/", verify.number, name="number"),
    path("v/<str:number>/photos/<str:key>.jpg", verify.photo, name="photo"),
    # What the card's QR code holds: no trailing slash (one round trip less per scan), but
    # a slash typed or added by a scanner app is accepted too.
    re_path(r"^v/(?P<number>[^/]+)/(?P<proof>[^/]+?)/?$", verify.card, name="card"),
]
