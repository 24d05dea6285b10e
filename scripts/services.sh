#!/usr/bin/env bash
# Start the local services the test-suite talks to, where they are installed but down.
# PostgreSQL on 127.0.0.1:5432 (trust auth) is the one the storage tests need.
set -u
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if command -v pg_isready >/dev/null 2>&1 && ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start || true; done
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if command -v pg_isready >/dev/null 2>&1 && pg_up; then
  echo "services: postgresql up on 127.0.0.1:5432"
else
  echo "services: postgresql not available; PostgreSQL tests will be skipped"
fi
# NATS with JetStream on 127.0.0.1:4222: the scale-out worker tests (tests/test_workers.py).
nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }
if command -v nats-server >/dev/null 2>&1 && ! nats_up; then
  store="${TMPDIR:-/tmp}/openiru-nats"
  mkdir -p "$store"
  nohup nats-server -js -a 127.0.0.1 -p 4222 -sd "$store" >"$store/nats.log" 2>&1 &
  for _ in $(seq 1 20); do nats_up && break; sleep 0.5; done
fi
if nats_up; then
  echo "services: nats (JetStream) up on 127.0.0.1:4222"
else
  echo "services: nats-server not available; NATS worker tests will be skipped"
fi
exit 0
