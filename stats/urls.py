from django.urls import path

from stats import exports, views

app_name = "stats"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("tables/<slug:table>.xlsx", views.download, name="download"),
    path("exports/<slug:name>.xlsx", exports.export_list, name="export"),
    path("form1/<str:fmt>", exports.declaration_forms, name="form1"),
]
