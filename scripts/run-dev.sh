#!/usr/bin/env bash
# The web server and a Celery worker (with its beat scheduler) together; one Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait' INT TERM EXIT
.venv/bin/celery -A portal worker --beat --loglevel=info --concurrency=2 &
echo "Portal at http://127.0.0.1:8000  (log in as employee / demo; Ctrl-C stops web and worker)"
# runserver keeps no database connection between requests (portal/settings.py: each request
# is a thread of its own), so a burst of requests cannot exhaust PostgreSQL's connections.
.venv/bin/python manage.py runserver 127.0.0.1:8000 &
wait -n
