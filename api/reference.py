from django.http import HttpRequest
from ninja import Router, Schema

from core.reference import city
from rules.city import city_to_dict

router = Router(tags=["reference"])


class DistrictOut(Schema):
    code: str
    name: str


class MachineTypeOut(Schema):
    name: str
    category: str
    in_plant: bool


class ReferenceOut(Schema):
    name: str
    abbreviation: str
    issuer: str
    districts: list[DistrictOut]
    machine_types: list[MachineTypeOut]
    fuel_types: list[str]
    site_types: list[str]


@router.get("", response=ReferenceOut, url_name="reference", auth=None)
def reference(request: HttpRequest) -> dict[str, object]:
    """The city's districts, machine types with their categories, fuels and site types."""
    return city_to_dict(city())
