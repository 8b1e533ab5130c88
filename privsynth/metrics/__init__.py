"""Helpers shared by the synthesizers and the checks: distances, encodings, bins, curves.

This package sits below ``tabular`` and ``checks``; it imports neither."""
