"""Who may do what: roles and principals, passwords and tokens, the login throttle, the token
route and the typed dependencies every router uses (`service.auth.access`)."""
