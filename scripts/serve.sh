#!/usr/bin/env bash
# `make serve`: the portal as it runs in production, on one machine: gunicorn, a Celery worker
# and celery beat, with DEBUG off, against DATABASE_URL and CELERY_BROKER_URL. It migrates,
# collects the static files (served by WhiteNoise) and refuses to start unless
# `check --deploy --fail-level WARNING` is clean. One Ctrl-C (or a SIGTERM) stops all three.
#
#   WEB_CONCURRENCY   gunicorn worker processes (default 2 x cores + 1; 1 on SQLite)
#   GUNICORN_THREADS  threads per gunicorn worker (default 4)
#   BIND              address gunicorn listens on (default 0.0.0.0:8000)
#   WORKER_CONCURRENCY  Celery worker processes (default: the number of cores)
#   SERVE_BEAT        0 on every machine but one: a deployment runs exactly one scheduler
#   SERVE_ALLOW_SQLITE_WORKERS  1 to run several gunicorn workers on SQLite all the same
#
# Database connections: each gunicorn thread keeps one open for up to 60 s (CONN_MAX_AGE,
# checked before reuse), each Celery worker process one: at most
# WEB_CONCURRENCY x GUNICORN_THREADS + WORKER_CONCURRENCY + 1 (beat) per machine, which the sum
# over every machine must keep below PostgreSQL's max_connections (100 by default) less what
# other clients need. The startup line prints this machine's share.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG=0
BIN=.venv/bin
cores=$(nproc 2>/dev/null || echo 1)

case "${DATABASE_URL:-sqlite:}" in
  sqlite:*) on_sqlite=1 ;;
  *) on_sqlite=0 ;;
esac
if [ "$on_sqlite" = 1 ]; then
  export WEB_CONCURRENCY="${WEB_CONCURRENCY:-1}"
else
  export WEB_CONCURRENCY="${WEB_CONCURRENCY:-$((2 * cores + 1))}"
fi
if [ "$on_sqlite" = 1 ] && [ "$WEB_CONCURRENCY" -gt 1 ] && [ "${SERVE_ALLOW_SQLITE_WORKERS:-0}" != 1 ]; then
  echo "make serve: refusing to start $WEB_CONCURRENCY gunicorn workers on SQLite" \
    "(DATABASE_URL is ${DATABASE_URL:-unset}): SQLite lets one process write at a time." >&2
  echo "Set DATABASE_URL to PostgreSQL, WEB_CONCURRENCY=1, or SERVE_ALLOW_SQLITE_WORKERS=1" \
    "to run on SQLite anyway." >&2
  exit 2
fi
threads="${GUNICORN_THREADS:-4}"
bind="${BIND:-0.0.0.0:8000}"
worker_concurrency="${WORKER_CONCURRENCY:-$cores}"

$BIN/python manage.py check --deploy --fail-level WARNING
$BIN/python manage.py migrate --noinput
$BIN/python manage.py collectstatic --noinput --verbosity 0

trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait' INT TERM EXIT
$BIN/celery -A portal worker --loglevel=info --concurrency="$worker_concurrency" &
if [ "${SERVE_BEAT:-1}" != 0 ]; then
  $BIN/celery -A portal beat --loglevel=info &
fi
# gunicorn reads WEB_CONCURRENCY itself; threads make it a gthread server. The access log goes
# to stdout through settings.LOGGING's "gunicorn.access" handler once Django is loaded in each
# worker, which masks the secret in answer-link and calendar-feed paths (portal.logging);
# --access-logfile turns access logging on. Referers are logged too, masked the same way.
$BIN/gunicorn portal.wsgi --bind "$bind" --threads "$threads" --access-logfile - &
echo "Portal on gunicorn at http://$bind ($WEB_CONCURRENCY workers x $threads threads)," \
  "a Celery worker and beat; health at /healthz/. Ctrl-C stops all three."
echo "Database connections from this machine: at most" \
  "$((WEB_CONCURRENCY * threads + worker_concurrency + 1))" \
  "($WEB_CONCURRENCY x $threads web threads, $worker_concurrency worker processes, beat)."
wait -n
