"""Kenjo contract fixtures: set-balance, login, employees and time-off requests."""
