"""The machine counts behind the dashboard's five machine tables, kept by the database.

MachineCount holds how many registrations there are for each (district, stage, machine
type, fuel, status): a few thousand rows whatever the registry's size, so the dashboard
reads them instead of grouping every registration. Database triggers (stats/summary.py,
installed by the migration) update it in the same transaction as any insert, update or
delete of a registration, or a change of a declaration's type or fuel, whichever code
or SQL makes it; `manage.py rebuild_machine_counts` counts it afresh.
"""

from django.db import models


class MachineCount(models.Model):
    district = models.CharField(max_length=8)
    stage = models.PositiveSmallIntegerField()
    machine_type = models.CharField(max_length=20)
    fuel_type = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "stage", "machine_type", "fuel_type", "status"],
                name="one_machine_count",
            )
        ]

    def __str__(self) -> str:
        return f"{self.district} {self.stage} {self.machine_type} {self.fuel_type} {self.status}"
