"""Read models the web console needs beyond the REST resources: people views and time series."""
