"""Risk model: training, calibration, scoring and native TreeSHAP explanations."""
