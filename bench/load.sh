#!/usr/bin/env bash
# `make load`: two minutes of locust on loopback against gunicorn (DEBUG off) with PostgreSQL,
# Redis and a real Celery worker, on a database of its own that is made afresh each run.
# Starts everything itself and stops it after; exits non-zero when any request failed.
#
#   LOAD_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/loadtest (dropped and re-made)
#   LOAD_BROKER_URL    default redis://127.0.0.1:6379/7
#   LOAD_USERS / LOAD_SPAWN_RATE / LOAD_TIME / LOAD_PORT   default 20 / 5 / 2m / 8765
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/loadtest}"
export CELERY_BROKER_URL="${LOAD_BROKER_URL:-redis://127.0.0.1:6379/7}"
export PORTAL_DATA_DIR="$PWD/data/loadtest"
export DEBUG=0 SECRET_KEY="load-test-only-$(date +%s)-not-a-secret" ALLOWED_HOSTS=127.0.0.1,localhost
# Plain HTTP on loopback: no HTTPS redirect, no HSTS (a proxy terminates TLS in production).
export SECURE_SSL_REDIRECT=0 SECURE_HSTS_SECONDS=0 EMAIL_URL=locmem:
# Every virtual user comes from 127.0.0.1: the per-IP and per-user throttles are raised for
# the run, or they (rightly) answer 429 to what is one client address for all.
export API_THROTTLE_IP=1000000/minute API_THROTTLE_USER=1000000/minute API_THROTTLE_TOKEN=100000/minute
export LOAD_TRAVELLERS="${LOAD_TRAVELLERS:-40}" LOAD_PASSWORD="load-test-password"
USERS="${LOAD_USERS:-20}" RATE="${LOAD_SPAWN_RATE:-5}" TIME="${LOAD_TIME:-2m}" PORT="${LOAD_PORT:-8765}"
BIN=.venv/bin
mkdir -p "$PORTAL_DATA_DIR"

started=()
stop() {
    for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT INT TERM

echo "== a fresh database: $DATABASE_URL"
$BIN/python - <<'PY'
import os
from urllib.parse import urlsplit

import psycopg

url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
admin = url._replace(path="/postgres").geturl()
with psycopg.connect(admin, autocommit=True) as connection:
    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.execute(f'CREATE DATABASE "{name}"')
PY
$BIN/python manage.py migrate --noinput -v 0
$BIN/python manage.py loaddemo --force
$BIN/python manage.py shell --no-imports < bench/load_users.py
$BIN/python manage.py collectstatic --noinput -v 0

echo "== gunicorn on 127.0.0.1:$PORT and a Celery worker"
$BIN/gunicorn portal.wsgi --bind "127.0.0.1:$PORT" --workers 3 --log-level warning \
    > "$PORTAL_DATA_DIR/gunicorn.log" 2>&1 &
started+=($!)
$BIN/celery -A portal worker --beat --schedule "$PORTAL_DATA_DIR/celerybeat-schedule" \
    --concurrency 2 --loglevel warning > "$PORTAL_DATA_DIR/worker.log" 2>&1 &
started+=($!)
for _ in $(seq 60); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/accounts/login/" && break
    sleep 0.5
done

echo "== locust: $USERS users (spawn $RATE/s) for $TIME"
status=0
$BIN/locust -f bench/locustfile.py --headless --host "http://127.0.0.1:$PORT" \
    --users "$USERS" --spawn-rate "$RATE" --run-time "$TIME" --stop-timeout 10 \
    --csv "$PORTAL_DATA_DIR/locust" --only-summary || status=$?

echo "== after the run"
$BIN/python manage.py shell --no-imports -c '
from briefings.models import Briefing
from django.db.models import Count
from trips.models import Trip
print("trips by status:", dict(Trip.objects.values_list("status").annotate(n=Count("id")).order_by()))
print("briefings by status:", dict(Briefing.objects.values_list("status").annotate(n=Count("id")).order_by()))
'
grep -c " 500 \|Traceback" "$PORTAL_DATA_DIR/gunicorn.log" "$PORTAL_DATA_DIR/worker.log" || true
exit $status
