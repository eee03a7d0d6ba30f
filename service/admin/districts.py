"""The council's capacity per district: the share of its families a list holds."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.storage.tables import DistrictSetting
from service.storage.transaction import transaction


def set_capacity(session: Session, district: str, capacity: float) -> None:
    """Store the district's capacity (lists generated from now on use it), and commit."""
    with transaction(session):
        setting = session.get(DistrictSetting, district)
        if setting is None:
            session.add(DistrictSetting(district=district, capacity=capacity))
        else:
            setting.capacity = capacity
