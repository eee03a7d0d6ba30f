"""Bulk intake: files of agency records, the family register and historical uploads."""
