"""`patronage retention`: what is past its retention period, and its destruction."""

from __future__ import annotations

from typing import Annotated

import typer

from experiments.cli.common import OUT, fail


def settings_problem() -> None:
    """Exit 2 naming the setting when the environment's settings are invalid (a retention
    period of zero or less, say), instead of a traceback."""
    from pydantic import ValidationError

    from service.settings import get_settings

    try:
        get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            str(e["msg"]).removeprefix("Value error, ") for e in exc.errors(include_input=False)
        )
        raise fail(f"{problems}; nothing was changed") from None


def retention_command(
    by: Annotated[
        str, typer.Option("--by", help="Username of the admin who runs it (access log).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what is past its period; change nothing.")
    ] = False,
    apply: Annotated[
        bool,
        typer.Option("--apply", help="Destroy it (each family in its own transaction)."),
    ] = False,
) -> None:
    """Report (--dry-run) or destroy (--apply) the data past its retention period: families
    (their records, decisions, case work; list rows kept under a pseudonym), unlinked records,
    old upload reports and left-over upload files. Periods: PATRONAGE_RETENTION_* settings
    (docs/data-protection.md). Counts only, never a name; logged in the access log."""
    from sqlalchemy import select

    from experiments.cli.service import service_state
    from service.auth.roles import Principal, UserRole
    from service.errors import ServiceError
    from service.retention.policy import RetentionPolicy
    from service.retention.run import run_retention
    from service.storage.tables import User

    if dry_run == apply:
        raise fail("give exactly one of --dry-run and --apply")
    settings_problem()
    state = service_state()
    try:
        policy = RetentionPolicy.of(state.settings)
        with state.sessions() as session:
            account = session.scalar(select(User).where(User.username == by))
            if account is None or not account.active or account.role != UserRole.admin.value:
                raise fail(
                    f"--by: expected the username of an active admin, got {by!r}; nothing was "
                    "changed"
                )
            user = Principal.of(account)
            report = run_retention(
                session, policy, user=user, home=state.settings.resolved_home, apply=apply
            )
    except ServiceError as exc:
        raise fail(exc.detail) from None
    finally:
        state.engine.dispose()
    verb = "destroyed" if apply else "past their period (nothing changed)"
    OUT.print(f"as of {report.today}: {verb}")
    OUT.print(f"families: {report.families:,}")
    for district in report.by_district:
        OUT.print(f"  {district.district}: {district.families:,}")
    OUT.print(f"unlinked records: {report.unlinked_records:,}")
    OUT.print(f"upload reports: {report.import_reports:,}")
    OUT.print(f"left-over upload files: {report.upload_files:,}")
    if apply:
        OUT.print(f"tombstones written: {len(report.deletions):,} (logged as deletions by {by})")
