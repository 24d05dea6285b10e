"""Exchange formats: STIX 2.1, MISP, DSA statements of reasons, Lumen notices, TCO documents, hash lists."""
