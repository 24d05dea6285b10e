"""The referral core: workflow state machine, deadlines, targets, deconfliction, documents.

Pure code: no database session and no web framework.  ``openiru.services``
modules own the storage and call these functions with an injected clock.
"""
