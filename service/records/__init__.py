"""Agency records: intake through the API (idempotent, linked to the registry), bulk import of
a simulator directory, and corrections of stored records."""
