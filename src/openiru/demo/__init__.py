"""``openiru demo``: a synthetic multi-platform ecosystem with planted ground truth.

A fictional organisation, its outlets, core accounts, amplifiers, forwarding
channels and community; benign accounts, journalists and researchers;
re-created accounts, coordinated bursts and a move to a self-hosted server,
written in the real export formats OpenIRU imports, with the ground truth of
everything planted (``ground_truth.json``) and the detection assets
(``hashes.csv``, ``lexicon.csv``, ``known_texts.jsonl``).  See docs/demo.md.
"""

from .build import DemoBuild, build_demo

__all__ = ["DemoBuild", "build_demo"]
