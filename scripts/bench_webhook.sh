#!/usr/bin/env bash
# The side-by-side webhook benchmark of ../shared/bench: the same lesson, the same closed
# loop of learners through a stand-in Telegram Bot API, against python-telegram-bot's
# ConversationHandler (the peer) and against hocso serve on Redis.
#
#   scripts/bench_webhook.sh [CHATS] [REDIS_URL]     (default 200, redis://127.0.0.1:6379/0)
#
# Each run keeps its keys under a prefix of its own and deletes them afterwards.
#
# Prints one JSON line per run. Telegram's flood limits are off on both sides (the stand-in
# enforces none; hocso is told so), as in the harness's default; LIMITS=1 runs hocso again
# with the stand-in enforcing them and hocso keeping to them. FLOOR=1 adds a run of
# scripts/bench_floor.py: the required stack (FastAPI, uvicorn, PTB) with no tutor behind it.
set -euo pipefail
cd "$(dirname "$0")/.."
chats=${1:-200}
redis=${2:-redis://127.0.0.1:6379/0}
bench=${HOCSO_BENCH:-../shared/bench}
venv=${HOCSO_VENV:-.venv}
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[bench]'
export PATH="$PWD/$venv/bin:$PATH"
workers=${WORKERS:-2}
run_id=hocso-bench-$$
scratch=$(mktemp -d)
cleanup() {
  redis-cli -u "$redis" --scan --pattern "$run_id*" | xargs -r redis-cli -u "$redis" del >/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT

# Where the machine's two cores go: the harness's own load generator and stand-in Bot API
# (load.py, one process) shares them with the service measured. Its CPU time is taken with
# /usr/bin/time; the rest is the whole machine's busy time (/proc/stat) less that.
cat >"$scratch/py" <<WRAP
#!/usr/bin/env bash
case "\$1" in
  */load.py) exec /usr/bin/time -o "$scratch/load.cpu" -f "%U %S" "$PWD/$venv/bin/python" "\$@" ;;
  *) exec "$PWD/$venv/bin/python" "\$@" ;;
esac
WRAP
chmod +x "$scratch/py"
export PY="$scratch/py"
busy() { awk '/^cpu /{print ($2+$3+$4+$7+$8)/100}' /proc/stat; }
cpu_line() {  # BUSY_BEFORE TURNS
  local after load; after=$(busy); load=$(awk '{print $1+$2}' "$scratch/load.cpu")
  awk -v b="$1" -v a="$after" -v l="$load" -v t="$2" 'BEGIN {
    printf "cpu: %.2f s busy in all; load generator %.2f s; the rest %.2f s, %.2f ms a turn\n",
      a-b, l, a-b-l, (a-b-l)*1000/t }'
}
run() {  # LABEL, then run.sh's arguments
  local label=$1 before out; shift
  echo "$label:"
  before=$(busy)
  out=$(bash "$bench/run.sh" "$@" | tail -1)
  echo "$out"
  cpu_line "$before" "$(echo "$out" | sed -n 's/.*"turns_done": \([0-9]*\).*/\1/p')"
}

run "peer (python-telegram-bot ConversationHandler, in memory)" peer "$chats"
SERVE_ARGS="--workers $workers --global-rate 0 --chat-rate 0 --log-level warning" \
  run "hocso serve --workers $workers, $redis" hocso "$chats" "$redis?prefix=$run_id-a"
if [ "${LIMITS:-0}" = 1 ]; then
  LOAD_ARGS="--global-rate 30 --per-chat-rate 1" \
  SERVE_ARGS="--workers $workers --global-rate 30 --chat-rate 1 --chat-burst 3 --log-level warning" \
    run "hocso with Telegram's limits (30/s overall, 1/s a chat, bursts of 3) on both sides" \
      hocso "$chats" "$redis?prefix=$run_id-b"
fi
if [ "${FLOOR:-0}" = 1 ]; then
  # The floor (scripts/bench_floor.py): FastAPI, uvicorn and PTB's parse and Bot with no tutor
  # behind them, launched the way run.sh launches the others.
  echo "floor (FastAPI + uvicorn + PTB types and Bot, nothing else; $workers workers):"
  before=$(busy)
  port=${PORT:-8081} api=${API_PORT:-8089}
  "$PY" "$bench/load.py" --webhook "http://127.0.0.1:$port/webhook/telegram" --api-port "$api" \
    --chats "$chats" --script "$bench/script.json" >"$scratch/floor.out" 2>&1 &
  load_pid=$!; sleep 1
  # On hocso's own worker supervisor (webhook/workers.py), so both get the same spread.
  TELEGRAM_API_URL="http://127.0.0.1:$api/bot" "$venv/bin/python" -c "import sys
from webhook.workers import serve
options = {'app': 'scripts.bench_floor:app', 'log_level': 'warning', 'access_log': False}
sys.exit(serve(options, '127.0.0.1', $port, $workers))" >/tmp/bench-floor.log 2>&1 &
  floor_pid=$!
  wait $load_pid; kill $floor_pid 2>/dev/null; wait $floor_pid 2>/dev/null || true
  out=$(tail -1 "$scratch/floor.out"); echo "$out"
  cpu_line "$before" "$(echo "$out" | sed -n 's/.*"turns_done": \([0-9]*\).*/\1/p')"
fi
