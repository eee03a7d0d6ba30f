"""The FastAPI service, grouped by domain.

Each domain package holds its API schemas (`schemas.py`), plain service functions testable
without HTTP, and thin routes (`routes.py`: check access, call a function, log reads):
`records` (intake, import, corrections), `lists` (generation, reading, explanations, alerts),
`families`, `decisions`, `audit` (the access log), `admin`, `auth` (roles, tokens, login
throttle, access dependencies) and `storage` (engine, tables, migrations, the event loader and
`transaction`, the one place a write is committed). At the top: the app factory (`main`),
settings, the service state, the `ModelSource` interface, errors and the session dependencies
(`deps`). The web pages (`ui`) call the same service functions as the routes.
"""
