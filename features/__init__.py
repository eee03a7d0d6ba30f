"""Point-in-time features over the records of schools, clinics and police."""
