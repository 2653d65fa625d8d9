from django.urls import path

from fleets import views

app_name = "fleets"

urlpatterns = [
    # The organisation's staff logins, under the owner's account page.
    path("account/staff/", views.staff, name="staff"),
    path("account/staff/<int:pk>/disable/", views.staff_disable, name="staff_disable"),
    path("account/staff/<int:pk>/enable/", views.staff_enable, name="staff_enable"),
    # All the fleet's machines, and submitting many drafts at once.
    path("fleet/", views.machines, name="machines"),
    path("fleet/submit/", views.submit_many, name="submit_many"),
    # Bulk import from the xlsx template.
    path("fleet/imports/", views.imports, name="imports"),
    path("fleet/imports/template.xlsx", views.template, name="template"),
    path("fleet/imports/<int:pk>/", views.import_job, name="import_job"),
    path("fleet/imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
]
