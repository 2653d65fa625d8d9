"""Photo uploads: checking and re-encoding the machine photos that owners send from phones."""
