"""One family's data: the agencies' timeline, open protective orders, persons, decisions, and
the subject-access export. Every read is written to the access log."""
