"""Live collection: watchlists, checkpoints, collection runs and the scheduler.

* :mod:`.checkpoints` — one JSON checkpoint per target, read and written in a transaction;
* :mod:`.watchlist` — the watched targets (add, list, remove, pause, which are due);
* :mod:`.runner` — reads a target through its connector page by page and stores every
  page through the import path (ingest hooks: detection runs on collected posts) with
  the page's checkpoint in the same transaction;
* :mod:`.scheduler` — polls due targets on an injected clock; a database lease makes a
  job run in one process at a time.
"""
