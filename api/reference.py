from django.http import HttpRequest
from ninja import Router, Schema

from core.reference import city

router = Router(tags=["reference"])


class DistrictOut(Schema):
    code: str
    name: str


class MachineTypeOut(Schema):
    name: str
    category: str
    in_plant: bool


class ReferenceOut(Schema):
    city: str
    abbreviation: str
    districts: list[DistrictOut]
    machine_types: list[MachineTypeOut]
    fuel_types: list[str]
    site_types: list[str]


@router.get("", response=ReferenceOut, url_name="reference", auth=None)
def reference(request: HttpRequest) -> dict[str, object]:
    """The city's districts, machine types with their categories, fuels and site types."""
    c = city()
    return {
        "city": c.name,
        "abbreviation": c.abbreviation,
        "districts": [{"code": d.code, "name": d.name} for d in c.districts],
        "machine_types": [
            {"name": t.name, "category": t.category, "in_plant": t.in_plant}
            for t in c.machine_types
        ],
        "fuel_types": list(c.fuel_types),
        "site_types": list(c.site_types),
    }
