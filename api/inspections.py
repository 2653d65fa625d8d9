"""Spot checks and rectification over the API (Art. 15-16)."""

from ninja import Router

router = Router(tags=["inspections"])
