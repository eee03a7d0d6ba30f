"""One family's data for the council's case file: the agencies' timeline, open protective
orders, persons, decisions. Every read is written to the access log. A person's subject-access
export is per person: `service.subjects`."""
