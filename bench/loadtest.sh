#!/usr/bin/env bash
# Load tests against gunicorn + PostgreSQL on 127.0.0.1 (see bench/README.md).
#   bench/loadtest.sh all    throughput, two servers sharing one database, signed-in users at work
#   bench/loadtest.sh read | two | auth   one part only
# Stops everything it started (gunicorn servers; PostgreSQL if it was down).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-all}
PY=.venv/bin/python
TMP=$(mktemp -d /tmp/hatta_load.XXXXXX)
PGVER=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
STARTED_PG=""
SERVERS=()

cleanup() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$STARTED_PG" ]; then pg_ctlcluster --skip-systemctl-redirect "$PGVER" main stop || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

if ! pg_lsclusters -h 2>/dev/null | awk '$4 == "online"' | grep -q .; then
  echo "Starting PostgreSQL $PGVER"
  pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start
  STARTED_PG=1
fi

# Production settings, except plain HTTP on 127.0.0.1.
unset HATTA_TESTING
export DJANGO_SETTINGS_MODULE=hatta.settings
export DATABASE_URL=${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/hatta_load}
export DEBUG=0 CONN_MAX_AGE=60 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
export SECURE_COOKIES=0 SECURE_SSL_REDIRECT=0 SECURE_HSTS_SECONDS=0
export SECRET_KEY=${SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')}
export LOAD_ORG=stor LOAD_OTHER_ORG=nordisk LOAD_BASELINE=$TMP/baseline.json LOAD_EDITS=$TMP/edits.json

$PY - <<'PYEOF'
import os
import dj_database_url, psycopg2
cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
conn = psycopg2.connect(dbname="postgres", user=cfg["USER"], password=cfg["PASSWORD"] or None,
                        host=cfg["HOST"], port=cfg["PORT"] or 5432)
conn.autocommit = True
cur = conn.cursor()
cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
if not cur.fetchone():
    cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    print(f"created database {cfg['NAME']}")
PYEOF
$PY manage.py migrate --noinput -v0
$PY manage.py demo --password "load-demo-2026" >/dev/null
$PY manage.py generate_org "$LOAD_ORG" --size L --if-missing
# collectstatic compresses every file (minutes on a busy machine): only when static/ changed.
if [ ! -f staticfiles/staticfiles.json ] || [ -n "$(find static -newer staticfiles/staticfiles.json -print -quit)" ]; then
  $PY manage.py collectstatic --noinput -v0
fi
$PY -m bench.load_check prepare "$LOAD_BASELINE" >/dev/null

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_server() {  # port -> master pid in $MASTER
  .venv/bin/gunicorn hatta.wsgi -w 2 -b "127.0.0.1:$1" --timeout 60 \
    --error-logfile "$TMP/gunicorn-$1.log" &
  MASTER=$!
  SERVERS+=("$MASTER")
  for _ in $(seq 60); do
    # Any answer will do: /healthz is 503 until a job worker has been seen.
    curl -s -o /dev/null "http://127.0.0.1:$1/healthz" && return 0
    sleep 0.5
  done
  echo "gunicorn on port $1 did not come up:" >&2; cat "$TMP/gunicorn-$1.log" >&2; exit 1
}

worker_peak_rss_mb() {  # master pid -> the largest VmHWM of its workers, MB
  local peak=0 kb
  for w in $(pgrep -P "$1"); do
    kb=$(awk '/VmHWM/ {print $2}' "/proc/$w/status" 2>/dev/null || echo 0)
    [ "${kb:-0}" -gt "$peak" ] && peak=$kb
  done
  echo $((peak / 1024))
}

summary() {  # csv prefix, label -> one line of figures; also appended to $TMP/report.md
  $PY - "$1" "$2" <<'PYEOF' | tee -a "$TMP/report.md"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "_stats.csv")))
agg = next(r for r in rows if r["Name"] == "Aggregated")
per = ", ".join(f"{r['Name']} p95 {r['95%']} ms" for r in rows if r["Name"] != "Aggregated")
print(f"| {sys.argv[2]} | {agg['Request Count']} | {float(agg['Requests/s']):.1f} | "
      f"{agg['50%']} | {agg['95%']} | {agg['99%']} | {agg['Failure Count']} | {per} |")
PYEOF
}

part() { [ "$MODE" = all ] || [ "$MODE" = "$1" ]; }
PORT_A=$(free_port)
start_server "$PORT_A"
MASTER_A=$MASTER
HOST_A=http://127.0.0.1:$PORT_A
STATUS=0
{
  echo
  echo "#### Load test $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(free -h | awk '/Mem:/ {print $2}') RAM," \
       "PostgreSQL $PGVER, gunicorn 2 sync workers, CONN_MAX_AGE=60, organisation L (2,000 people, 4,000 tasks)."
  echo
  if part read || part auth; then
    echo "| run | requests | req/s | p50 ms | p95 ms | p99 ms | failures | per page |"
    echo "|---|--:|--:|--:|--:|--:|--:|---|"
  fi
} > "$TMP/report.md"

RSS=n/a
if part read; then
  echo "== Throughput: 16 connections, 30 s, My hats + hat + map (signed in once)"
  .venv/bin/locust -f bench/locust_read.py --headless -u 16 -r 16 -t "${LOAD_READ_TIME:-30s}" --host "$HOST_A" \
    --csv "$TMP/read" --only-summary >"$TMP/read.log" 2>&1 || STATUS=1
  grep -E "server_errors" "$TMP/read.log" || true
  summary "$TMP/read" "read, 16 users, ${LOAD_READ_TIME:-30s}"
  RSS=$(worker_peak_rss_mb "$MASTER_A")
  echo "peak worker RSS: $RSS MB (target ≤ 250 MB)"
fi
if part two; then
  echo "== Two servers, one database"
  PORT_B=$(free_port)
  start_server "$PORT_B"
  $PY -m bench.two_servers "$HOST_A" "http://127.0.0.1:$PORT_B" "$LOAD_BASELINE" | tee "$TMP/two.log" || STATUS=1
  $PY -m bench.load_check prepare "$LOAD_BASELINE" >/dev/null  # new baseline after its edits
fi
if part auth; then
  echo "== Signed-in users at work: 20 users, 60 s (sign in, read, contended edits, other org)"
  .venv/bin/locust -f bench/locust_auth.py --headless -u 20 -r 4 -t "${LOAD_AUTH_TIME:-60s}" --host "$HOST_A" \
    --stop-timeout 60 --csv "$TMP/auth" --only-summary >"$TMP/auth.log" 2>&1 || STATUS=1
  grep -E "server_errors|saved_edits" "$TMP/auth.log" || true
  summary "$TMP/auth" "users at work, 20 users, ${LOAD_AUTH_TIME:-60s}"
  echo "== Simultaneous saves: 3 bursts of 8 browsers saving one hat at the same version"
  $PY -m bench.contend "$HOST_A" "$LOAD_BASELINE" "$LOAD_EDITS" 3 8 | tee "$TMP/contend.log" || STATUS=1
  $PY -m bench.load_check verify "$LOAD_BASELINE" "$LOAD_EDITS" | tee "$TMP/verify.json" || STATUS=1
fi
RSS_END=$(worker_peak_rss_mb "$MASTER_A")

{
  echo
  echo "- Load average while it ran (other work on the machine skews every figure): $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "- Peak RSS of a worker: ${RSS} MB after the read run, ${RSS_END} MB at the end (target ≤ 250 MB)."
  part two && echo "- Two servers: $(tail -n 1 "$TMP/two.log")."
  part read && echo "- Server errors (read): $(grep -ho 'server_errors=[0-9]*' "$TMP/read.log" || echo n/a)."
  part auth && echo "- Server errors (users at work): $(grep -ho 'server_errors=[0-9]*' "$TMP/auth.log" || echo n/a)." \
    && echo "- Simultaneous saves: $(tail -n 1 "$TMP/contend.log") (each burst: 1 saved, 7 conflicts)." \
    && echo "- Contended edits, checked in SQL afterwards: $(cat "$TMP/verify.json")."
} >> "$TMP/report.md"
cat "$TMP/report.md"
cat "$TMP/report.md" >> bench/README.md
echo "Appended to bench/README.md"
[ "$STATUS" = 0 ] || { echo "load test: FAIL (see above)" >&2; tail -n 30 "$TMP"/*.log >&2; }
exit "$STATUS"
