"""Reporting services: statistics, rendered reports (TCO transparency, annual, action day) and the modus-operandi report."""
