"""Application services: what the CLI and the API call.  They own the database
sessions and hand plain model objects to the pure cores."""
