"""HTTP routes: thin wrappers that check access, call a plain function and log reads."""
