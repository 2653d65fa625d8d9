from django.urls import path

from changes import views

app_name = "changes"

urlpatterns = [
    # The owner side (manual 二): choose a machine, a change, fill in its form.
    path("", views.home, name="home"),
    path("registrations/<int:pk>/", views.registration, name="registration"),
    path("registrations/<int:pk>/owner-code/", views.owner_code, name="owner_code"),
    path("registrations/<int:pk>/<slug:kind>/", views.new, name="new"),
    path("<int:pk>/", views.request_detail, name="request"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/resend-code/", views.resend_code, name="resend_code"),
    path("confirm-owner/", views.confirm_owner, name="confirm_owner"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    # Art. 4 第二款: machines registered in another city.
    path("external/", views.external, name="external"),
    # The district (Art. 11-14 属地管理部门).
    path("district/", views.district_queue, name="district_queue"),
    path("district/external/", views.district_external, name="district_external"),
    path("district/<int:pk>/", views.district_request, name="district_request"),
    path("district/<int:pk>/approve/", views.approve, name="approve"),
    path("district/<int:pk>/reject/", views.reject, name="reject"),
    path("district/<int:pk>/site-check/", views.site_check, name="site_check"),
]
