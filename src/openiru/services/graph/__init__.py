"""Network analytics services: load the store into the graph core's arrays, analyses, account lists."""
