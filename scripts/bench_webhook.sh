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
# with the stand-in enforcing them and hocso keeping to them.
set -euo pipefail
cd "$(dirname "$0")/.."
chats=${1:-200}
redis=${2:-redis://127.0.0.1:6379/0}
bench=${HOCSO_BENCH:-../shared/bench}
venv=${HOCSO_VENV:-.venv}
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[bench]'
export PY="$venv/bin/python" PATH="$PWD/$venv/bin:$PATH"
workers=${WORKERS:-2}
run_id=hocso-bench-$$
cleanup() { redis-cli -u "$redis" --scan --pattern "$run_id*" | xargs -r redis-cli -u "$redis" del >/dev/null; }
trap cleanup EXIT

echo "peer (python-telegram-bot ConversationHandler, in memory):"
bash "$bench/run.sh" peer "$chats" | tail -1
echo "hocso serve --workers $workers, $redis:"
SERVE_ARGS="--workers $workers --global-rate 0 --chat-rate 0 --log-level warning" \
  bash "$bench/run.sh" hocso "$chats" "$redis?prefix=$run_id-a" | tail -1
if [ "${LIMITS:-0}" = 1 ]; then
  echo "hocso with Telegram's limits (30/s overall, 1/s a chat, bursts of 3) on both sides:"
  LOAD_ARGS="--global-rate 30 --per-chat-rate 1" \
  SERVE_ARGS="--workers $workers --global-rate 30 --chat-rate 1 --chat-burst 3 --log-level warning" \
    bash "$bench/run.sh" hocso "$chats" "$redis?prefix=$run_id-b" | tail -1
fi
