"""Encrypted backups: the age v1 file format (age.py) and the backup archive built on it."""
