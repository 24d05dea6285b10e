"""Importers of real platform exports: one module per format, each a Source plugin."""
