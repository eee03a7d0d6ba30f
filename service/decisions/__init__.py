"""Council decisions: measures from a catalogue, a priority and a reason; never edited, only
superseded; each one logged with the decision itself."""
