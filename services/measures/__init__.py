"""Measures of the work, counted from events."""
