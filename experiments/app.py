"""The uvicorn factory `experiments.app:create_app`: the service with the MLflow champion.

The service defines the `ModelSource` interface it needs; this is where the MLflow-backed
implementation is handed to it, so `service` never imports `experiments`.
"""

from __future__ import annotations

from fastapi import FastAPI

from experiments.model_source import TrackingModelSource
from service.main import create_app as create_service_app
from service.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app on `settings` (default: the environment) serving the registered champion."""
    settings = settings or get_settings()
    return create_service_app(settings, models=TrackingModelSource(settings))
