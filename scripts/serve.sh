#!/usr/bin/env bash
# Start the web server and the task worker together (the worker restarted whenever it
# dies); Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
BIND="${BIND:-127.0.0.1}"
PY=.venv/bin/python

.venv/bin/gunicorn courtyard.wsgi:application \
  --bind "$BIND:$PORT" --workers "${WEB_WORKERS:-3}" --threads 4 \
  --access-logfile - --error-logfile - --log-level warning &
WEB=$!

# The worker is restarted when it dies, after a pause that doubles up to a minute (back to a
# second once it has run a minute); the web server stays up. The jobs it was running are
# resumed or failed when their lease expires.
supervise_worker() {
  local pause=1 started child=""
  trap 'kill "$child" 2>/dev/null; exit 0' INT TERM
  while true; do
    started=$SECONDS
    $PY manage.py run_huey --quiet &
    child=$!
    wait "$child" || true
    if (( SECONDS - started > 60 )); then pause=1; fi
    echo "The task worker stopped; restarting it in ${pause}s." >&2
    sleep "$pause" &
    child=$!
    wait "$child" || true
    pause=$(( pause * 2 > 60 ? 60 : pause * 2 ))
  done
}
supervise_worker &
WORKER=$!

stop() {
  kill "$WEB" "$WORKER" 2>/dev/null || true
  wait "$WEB" "$WORKER" 2>/dev/null || true
}
trap stop INT TERM EXIT

cat <<MSG

  Courtyard is running at http://$BIND:$PORT/

  Demo accounts (password Courtyard#2026):
    admin       系统管理员 Administrator
    service     客服专员 Customer service (first estate only)
    finance     财务人员 Finance
    supervisor  运维主管 Operations supervisor
    tech1       维修人员 Technician
    inspector1  巡检人员 Inspector

  Resident portal: http://$BIND:$PORT/portal/
    13800000001 住户 Resident (phone number as the username)

  Press Ctrl-C to stop the web server and the worker.

MSG
wait "$WEB"
