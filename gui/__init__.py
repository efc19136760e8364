"""Rearguard's window, tray and scheduler (PySide6 + qasync). Imports engine, never the reverse."""
