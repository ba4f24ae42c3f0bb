"""Journyx contract fixtures and binding."""
