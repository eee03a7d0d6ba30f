"""Group fairness metrics, disparities, bootstrap intervals and audit reports (no MLflow)."""
