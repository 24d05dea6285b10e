"""Detection: hash banks, PDQ index, text normalisation and matching, signals, classifier (pure core)."""
