"""Live connectors: Sources that read a platform's API instead of an export file.

A connector (:class:`.base.Connector`) reads one watched target (a Mastodon timeline,
a Rocket.Chat channel, a feed...) page by page from a checkpoint and hands back, with
each page, the checkpoint that follows it; :mod:`openiru.services.collect` stores the
page through the import path and the checkpoint with it.  Connectors are registered in
the ``openiru.connectors`` entry-point group.  They hold no database session.
"""
