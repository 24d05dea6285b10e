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
exit 0
