"""Scale-out workers: roles that pull work from NATS JetStream and share one database.

``stream`` names and creates the JetStream streams (work queue, dead letters) and
publishes post keys; ``detect`` is the detection role (pull, scan, commit, ack);
``status`` reads the queue figures for ``openiru queue status``; ``verify`` is the removal
verification role (once at a time across machines, by the scheduler's lease); ``graph``
refreshes the stored graph analytics when detection signals new data (at most once per
window, once at a time across machines); ``notify`` sends the unit's notifications (new
high-priority alerts, referral deadlines) once each across machines; ``collect`` polls
the watchlist under the scheduler's leases and publishes for detection; ``metrics`` and
``probe`` serve /healthz, /readyz and /metrics.  See docs/scale-out.md.
"""

#: The roles ``openiru worker --role`` accepts.
ROLES = ("collect", "detect", "graph", "notify", "verify")
