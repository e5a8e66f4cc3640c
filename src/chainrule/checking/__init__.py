"""Gradient checks: numeric comparison (gradcheck), the first wrong gate (blame), hand-derived
partials (hand) and NaN/inf detection (anomaly)."""
