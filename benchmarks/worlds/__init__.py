"""Scenario-randomised evaluation worlds for the network analytics (issue 10).

A generator separate from ``openiru demo``: its own fictional organisation, names and placeholder
text, writing each world in the real export formats the importers read (twarc2 pages, a Telegram
Desktop export, Rocket.Chat ``channels.history`` responses, Mastodon Status arrays), with the
unit's assets and a ground truth.  ``benchmarks/analytics_eval.py`` runs the real CLI over them.
"""

from .build import build, write_world
from .params import WorldParams, draw

__all__ = ["WorldParams", "build", "draw", "write_world"]
