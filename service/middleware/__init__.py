"""Pure-ASGI middleware the whole app runs behind: request size limits and security headers."""
