"""The FastAPI service: intake, council lists, decisions, explanations, access log, web UI."""
