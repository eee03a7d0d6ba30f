"""Statistics for the region and the ministry: aggregate figures without names, small counts
suppressed (issue 14)."""
