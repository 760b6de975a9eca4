#!/usr/bin/env bash
# The side-by-side webhook benchmark of ../shared/bench: the same lesson, the same closed
# loop of learners through a stand-in Telegram Bot API, against python-telegram-bot's
# ConversationHandler (the peer), against hocso serve on Redis, and against the floor
# (scripts/bench_floor.py: the required stack, FastAPI + uvicorn + PTB, with no tutor behind it).
#
#   scripts/bench_webhook.sh [CHATS] [REDIS_URL]     (default 200, redis://127.0.0.1:6379/0)
#
# Runs, each learner walking the lesson ROUNDS times (default 5, so a run is steady):
#   peer     CHATS learners, the peer in memory, no limits
#   hocso    CHATS learners, hocso serve --workers WORKERS, no limits
#   floor    CHATS learners, the floor on the same worker supervisor
#   limits   LIMITED learners (default 50), the stand-in enforcing Telegram's limits (30/s
#            overall, 1/s a chat, bursts of 3) and hocso keeping to them
#   crowd    CHATS learners under the same limits, --turn-timeout 30, CROWD_ROUNDS rounds
#            (default 1: the poster scanned by a whole hall at once)
#   limits1, crowd1  the same two on a copy of the bench lesson whose every turn is one message
#            (its explanations and its last step left out): the bench lesson's last answer
#            brings two messages, which sets the tail under the overall limit (see
#            scripts/bench_queue_model.py); these show what the sender does without them
# RUNS="hocso floor" runs only those (default all five). REPEAT=N runs the set N times. Each run prints its JSON line and where the CPU went;
# the end prints the issue's table (scripts/bench_table.py): medians, ranges, targets.
# Each run keeps its keys under a prefix of its own and deletes them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
chats=${1:-200}
redis=${2:-redis://127.0.0.1:6379/0}
bench=${HOCSO_BENCH:-../shared/bench}
venv=${HOCSO_VENV:-.venv}
"$venv/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[bench]'
export PATH="$PWD/$venv/bin:$PATH"
workers=${WORKERS:-2}
rounds=${ROUNDS:-5}
limited=${LIMITED:-50}
crowd_rounds=${CROWD_ROUNDS:-1}
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
      a-b, l, a-b-l, (a-b-l)*1000/(t > 0 ? t : 1) }'
}
record() {  # NAME BUSY_BEFORE JSON: print the run's line and CPU, keep it for the table
  echo "$3"
  echo "$3" >>"$scratch/$1.jsonl"
  cpu_line "$2" "$(echo "$3" | sed -n 's/.*"turns_done": \([0-9]*\).*/\1/p')"
}
run() {  # NAME LABEL, then run.sh's arguments (the harness: $bench)
  local name=$1 label=$2 before; shift 2
  echo "$label:"
  before=$(busy)
  record "$name" "$before" "$(bash "$bench/run.sh" "$@" | tail -1)"
}
floor() {  # The floor (scripts/bench_floor.py), launched the way run.sh launches the others.
  local before port=${PORT:-8081} api=${API_PORT:-8089} load_pid floor_pid
  echo "floor (FastAPI + uvicorn + PTB types and Bot, nothing else; $workers workers):"
  before=$(busy)
  "$PY" "$bench/load.py" --webhook "http://127.0.0.1:$port/webhook/telegram" --api-port "$api" \
    --chats "$chats" --script "$bench/script.json" --rounds "$rounds" >"$scratch/floor.out" 2>&1 &
  load_pid=$!; sleep 1
  # On hocso's own worker supervisor (webhook/workers.py), so both get the same spread.
  TELEGRAM_API_URL="http://127.0.0.1:$api/bot" "$venv/bin/python" -c "import sys
from webhook.workers import serve
options = {'app': 'scripts.bench_floor:app', 'log_level': 'warning', 'access_log': False}
sys.exit(serve(options, '127.0.0.1', $port, $workers))" >/tmp/bench-floor.log 2>&1 &
  floor_pid=$!
  wait $load_pid; kill $floor_pid 2>/dev/null; wait $floor_pid 2>/dev/null || true
  record floor "$before" "$(tail -1 "$scratch/floor.out")"
}

one_message_harness() {  # $scratch/one: the harness, its lesson's every turn one message
  [ -d "$scratch/one" ] && return
  cp -r "$bench" "$scratch/one"
  "$venv/bin/python" - "$scratch/one/lesson/an-toan-otp.yaml" <<'CUT'
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
text = text[: text.index("  - id: xong")]  # the last step: "Bác đã HOÀN THÀNH bài học."
lines = [line for line in text.splitlines(keepends=True) if not line.startswith("    explain:")]
open(path, "w", encoding="utf-8").write("".join(lines))
CUT
}
telegram_limits="--global-rate 30 --chat-rate 1 --chat-burst 3"
runs=" ${RUNS:-peer hocso floor limits crowd limits1 crowd1} "
wanted() { [[ "$runs" == *" $1 "* ]]; }
for repeat in $(seq "${REPEAT:-1}"); do
  echo "== round of runs $repeat of ${REPEAT:-1}: $chats learners, each walking the lesson $rounds times"
  if wanted peer; then
    LOAD_ARGS="--rounds $rounds" \
      run peer "peer (python-telegram-bot ConversationHandler, in memory)" peer "$chats"
  fi
  if wanted hocso; then
    LOAD_ARGS="--rounds $rounds" \
    SERVE_ARGS="--workers $workers --global-rate 0 --chat-rate 0 --log-level warning" \
      run hocso "hocso serve --workers $workers, $redis" hocso "$chats" \
        "$redis?prefix=$run_id-a$repeat"
  fi
  if wanted floor; then floor; fi
  if wanted limits; then
    LOAD_ARGS="--rounds $rounds --global-rate 30 --per-chat-rate 1" \
    SERVE_ARGS="--workers $workers $telegram_limits --log-level warning" \
      run limits "hocso, $limited learners, Telegram's limits (30/s overall, 1/s a chat, bursts of 3)" \
        hocso "$limited" "$redis?prefix=$run_id-b$repeat"
  fi
  if wanted crowd; then
    LOAD_ARGS="--rounds $crowd_rounds --global-rate 30 --per-chat-rate 1 --turn-timeout 30" \
    SERVE_ARGS="--workers $workers $telegram_limits --log-level warning" \
      run crowd "hocso, $chats learners, the same limits, --turn-timeout 30" \
        hocso "$chats" "$redis?prefix=$run_id-c$repeat"
  fi
  if wanted limits1 || wanted crowd1; then one_message_harness; fi
  if wanted limits1; then
    LOAD_ARGS="--rounds $rounds --global-rate 30 --per-chat-rate 1 --final-marker chuc" \
    SERVE_ARGS="--workers $workers $telegram_limits --log-level warning" \
      bench=$scratch/one run limits1 "hocso, $limited learners, Telegram's limits, one message a turn" \
        hocso "$limited" "$redis?prefix=$run_id-d$repeat"
  fi
  if wanted crowd1; then
    LOAD_ARGS="--rounds $crowd_rounds --global-rate 30 --per-chat-rate 1 --turn-timeout 30 \
      --final-marker chuc" \
    SERVE_ARGS="--workers $workers $telegram_limits --log-level warning" \
      bench=$scratch/one run crowd1 "hocso, $chats learners, the same limits, one message a turn" \
        hocso "$chats" "$redis?prefix=$run_id-e$repeat"
  fi
done
echo
"$venv/bin/python" scripts/bench_table.py "$scratch" --rate 30 --date "$(date -u +%F)"
# The bench lesson's turns as the stand-in sees them: the last answer brings two messages (the
# feedback, then the end of the lesson: together they do not fit a screen).
echo
echo "What first come, first served can reach at 95% of 30/s (scripts/bench_queue_model.py):"
if wanted limits; then
  "$venv/bin/python" scripts/bench_queue_model.py --learners "$limited" --rounds "$rounds"
fi
if wanted crowd; then
  "$venv/bin/python" scripts/bench_queue_model.py --learners "$chats" --rounds "$crowd_rounds"
fi
if wanted limits1; then
  "$venv/bin/python" scripts/bench_queue_model.py --learners "$limited" --rounds "$rounds" \
    --turns 1,1,1,1,1,1
fi
