"""Pipelines that wire features, model and fairness together; MLflow tracking; the CLI."""
