"""The service fixtures, for the tests of what `experiments` builds on the service (the demo)."""

from tests.service.conftest import (  # noqa: F401 (fixtures pytest finds by name)
    champion,
    db_url,
    listed_service,
    postgres_template_db,
    seeded_db,
    service,
    sqlite_service,
    sqlite_url,
)
