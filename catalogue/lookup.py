"""What the declaration wizard asks the catalogue: the entry behind a number, if any.

A number the catalogue does not know gives None (or is missing from the dict): the
wizard flags it for the reviewer and lets the owner go on.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from catalogue.constants import EntryKind
from catalogue.models import DISCLOSURE_LENGTH, CatalogueEntry
from rules.identifiers import normalise


@dataclass(frozen=True)
class CatalogueMatch:
    number: str
    kind: EntryKind
    stage: int
    maker: str
    model: str
    machine_type: str
    machine_name: str
    engine_maker: str
    engine_model: str
    power_kw: Decimal | None
    fuel_type: str

    @classmethod
    def from_entry(cls, entry: CatalogueEntry) -> "CatalogueMatch":
        return cls(
            number=entry.number,
            kind=EntryKind(entry.kind),
            stage=entry.stage,
            maker=entry.maker,
            model=entry.model,
            machine_type=entry.machine_type,
            machine_name=entry.machine_name,
            engine_maker=entry.engine_maker,
            engine_model=entry.engine_model,
            power_kw=entry.power_kw,
            fuel_type=entry.fuel_type,
        )


def _searchable(numbers: Iterable[str]) -> set[str]:
    """Normalised numbers that could be in the table (others cannot match)."""
    return {
        value
        for value in (normalise(number) for number in numbers)
        if 0 < len(value) <= DISCLOSURE_LENGTH
    }


def lookup(number: str) -> CatalogueMatch | None:
    """The entry for a machine disclosure number or an engine number as typed (spaces,
    lower case and full-width characters allowed); at most one query."""
    values = _searchable([number])
    if not values:
        return None
    entry = CatalogueEntry.objects.filter(number=values.pop()).first()
    return CatalogueMatch.from_entry(entry) if entry is not None else None


def lookup_many(numbers: Iterable[str]) -> dict[str, CatalogueMatch]:
    """The entries for many numbers in one query, keyed by the normalised number
    (``rules.identifiers.normalise``); unknown numbers are absent."""
    values = _searchable(numbers)
    if not values:
        return {}
    return {
        entry.number: CatalogueMatch.from_entry(entry)
        for entry in CatalogueEntry.objects.filter(number__in=values)
    }
