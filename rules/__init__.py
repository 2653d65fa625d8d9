"""Business rules of the NRMM registration, in plain Python (no Django)."""
