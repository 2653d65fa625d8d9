"""Reports built through the real actions."""

from typing import Any

from reports import actions
from reports.models import PublicReport

NOW = "2026-11-23 10:00 +0800"
SEEN = "2026-11-23T08:30"

VALID: dict[str, Any] = {
    "district": "L",
    "place": "浦东新区张江路100号工地",
    "observed_at": SEEN,
    "description": "挖掘机未悬挂环保标志，作业时冒黑烟",
}


def filed(address: str = "192.0.2.1", **fields: Any) -> PublicReport:
    return actions.file_report(acting_user=None, address=address, **{**VALID, **fields})


def reload(report: PublicReport) -> PublicReport:
    return PublicReport.objects.get(pk=report.pk)
