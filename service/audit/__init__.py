"""The audit trail: the hash-chained access log of every read of family-level data, and the
auditor's views of it and of the model registry."""
