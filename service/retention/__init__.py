"""Retention and destruction: the periods of each kind of data, the purge of what is past them,
and the admin's deletion of one record or person on a legal ground (docs/data-protection.md)."""
