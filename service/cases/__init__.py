"""Case work (issue 12): a council decision opens a case whose plan sends measures to agencies,
which acknowledge and deliver them; priority holds the monthly lists honour."""
