"""Typed FastAPI dependencies of every request: the service state and its database sessions.

A route that only reads declares `SessionDep` (it cannot take the write lock); one that writes
declares `WriteSessionDep` and calls service functions that commit their own writes through
`service.storage.transaction` before they return. Who the user is and what they may see is
decided by the dependencies of `service.auth.access`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.state import ServiceState


async def get_state(request: Request) -> ServiceState:
    """The `ServiceState` of the running app (async: no thread hop for a pure lookup)."""
    state: ServiceState = request.app.state.patronage
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


async def get_session(state: StateDep) -> AsyncIterator[Session]:
    """One read-only database session per request (SQLite: deferred transactions that never
    take the write lock; a write in one fails). Reads of family data log themselves through
    `access_log.log_read`, which writes in a transaction of its own.

    Opening a session does no I/O and closing one only rolls back an open transaction, so this
    runs on the event loop instead of costing two worker-thread hops per request."""
    with state.read_sessions() as session:
        yield session


async def get_write_session(state: StateDep) -> AsyncIterator[Session]:
    """One database session per request that writes. The service functions the route calls
    commit their writes (`service.storage.transaction`); whatever is left uncommitted when the
    request ends (a refused write) is rolled back when the session closes. Its transactions
    take the write lock up front (SQLite `BEGIN IMMEDIATE`)."""
    with state.sessions() as session:
        yield session


#: Secure by default: a route that only declares `SessionDep` cannot hold the write lock.
SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
