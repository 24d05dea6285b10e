"""Referral services: providers, the workflow, deconfliction, evidence, delivery and its channels, verification, exports, Referral Action Days."""
