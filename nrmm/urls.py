from django.contrib import admin
from django.urls import include, path

from api.api import api
from core.health import health
from core.views import bench_floor

# A lost database answers 503 with Retry-After instead of 500 (core/unavailable.py).
handler500 = "core.unavailable.server_error"

admin.site.site_header = "非道路移动机械环保登记 管理后台"
admin.site.site_title = "NRMM 管理后台"

urlpatterns = [
    path("", include("owners.urls")),
    path("", include("owners.verify_urls")),
    path("", include("reports.urls")),  # /report/… (public) and /staff/reports/…
    path("staff/stats/", include("stats.urls")),
    path("staff/", include("backoffice.urls")),
    path("inspect/", include("inspections.urls")),
    path("changes/", include("changes.urls")),
    path("", include("fleets.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("bench/", include(([path("floor/", bench_floor, name="floor")], "bench"))),
    path("healthz", health, name="health"),  # the load balancer's check (docs/deploy.md)
]
