"""Administration: users, the councils' capacity per district, linking records to the registry.
The admin sees no family data."""
