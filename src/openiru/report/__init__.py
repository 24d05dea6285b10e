"""Figures and rendered reports: statistics over referrals and detection, transparency reports.

Pure modules (no database session, no web framework): :mod:`.figures` computes every figure
from plain records, :mod:`.charts` draws SVG charts, :mod:`.render` writes HTML, Markdown
and PDF documents.  The services in :mod:`openiru.services.report.statistics` and
:mod:`openiru.services.report.rendered` read the store and call these.
"""
