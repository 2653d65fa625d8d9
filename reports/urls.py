from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    # The public (Art. 17): no account needed.
    path("report/", views.new, name="new"),
    path("report/filed/", views.filed, name="filed"),
    path("report/follow/", views.follow, name="follow"),
    # The district of the place, and the city administrator (read-only).
    path("staff/reports/", views.staff_list, name="staff_list"),
    path("staff/reports/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/reports/<int:pk>/assign/", views.assign, name="assign"),
    path("staff/reports/<int:pk>/note/", views.note, name="note"),
    path("staff/reports/<int:pk>/close/", views.close, name="close"),
    path("staff/reports/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("staff/report-photos/<int:pk>/", views.photo, name="photo"),
]
