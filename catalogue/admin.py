from django import forms
from django.contrib import admin

from catalogue.models import CatalogueEntry
from rules.identifiers import normalise


class CatalogueEntryForm(forms.ModelForm):
    # Wider than the column so a number pasted with spaces reaches the normalisation in
    # CatalogueEntry.clean() instead of failing the length check first.
    number = forms.CharField(label="编号", max_length=64)

    class Meta:
        model = CatalogueEntry
        fields = (
            "number",
            "kind",
            "maker",
            "model",
            "machine_type",
            "machine_name",
            "engine_maker",
            "engine_model",
            "power_kw",
            "fuel_type",
            "source",
        )

    def clean_number(self) -> str:
        return normalise(self.cleaned_data["number"])


@admin.register(CatalogueEntry)
class CatalogueEntryAdmin(admin.ModelAdmin):
    """Entries come from import_catalogue; administrators correct them here.  The stage
    is always the number's 6th character, so it is not edited by hand."""

    form = CatalogueEntryForm
    list_display = ("number", "kind", "stage", "maker", "model", "machine_type")
    search_fields = ("number", "maker", "model")
    list_filter = ("kind", "stage")
    readonly_fields = ("stage", "imported_at")
    fields = (
        "number",
        "kind",
        "stage",
        "maker",
        "model",
        "machine_type",
        "machine_name",
        "engine_maker",
        "engine_model",
        "power_kw",
        "fuel_type",
        "source",
        "imported_at",
    )
