"""Network analytics core: interaction graph, key accounts, coordination, re-created accounts,
migration and emerging platforms.

Pure code over numpy arrays and plain dataclasses (:mod:`openiru.graph.data`): no database session,
no web framework.  ``openiru.services.graph`` loads the arrays from the store and call these modules.
"""
