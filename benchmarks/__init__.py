"""Benchmarks: run each as a module, e.g. `python -m benchmarks.fairness`."""
