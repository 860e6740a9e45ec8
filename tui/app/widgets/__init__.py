"""Widgets of the app that more than one screen uses."""
