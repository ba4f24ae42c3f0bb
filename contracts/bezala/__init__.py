"""Bezala contract fixtures (`<operation>/<scenario>.json`) and their binding."""
