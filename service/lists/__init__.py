"""Monthly council lists: generation (score, explain, snapshot), reading stored snapshots with
reasons in the language asked for, explanations, and the alerts between meetings."""
