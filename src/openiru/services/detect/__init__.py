"""Detection services: hash banks and their index, matching, scanning, hits and alerts, triage, the classifier."""
