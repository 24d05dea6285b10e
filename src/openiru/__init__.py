"""OpenIRU: an open-source Internet Referral Unit.

Collect platform exports, detect known and new propaganda, analyse the networks
that spread it, refer it to hosting providers and report on the outcome.
"""

__version__ = "0.1.0"
