"""The audit report: a JSON document and a self-contained HTML rendering of it."""

from privsynth.report.build import SCHEMA_VERSION, build_report
from privsynth.report.html import render_html

__all__ = ["SCHEMA_VERSION", "build_report", "render_html"]
