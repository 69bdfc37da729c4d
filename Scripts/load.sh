#!/usr/bin/env bash
# Load (and chaos) test on this machine, loopback only: builds switchboard, starts mock-provider
# and `switchboard serve` on free ports with a temporary data directory (LLM and messaging
# providers pointed at the mock), runs `switchboard load` (which funds its tenants through the
# internal API, drives the mix, then checks the invariants), prints the report and stops
# everything it started, also on Ctrl-C.
#
#   Scripts/load.sh [--duration 30] [--concurrency 32 | --rate R] [--tenants 4] [--mix complete=30,...]
#                   [--latency-ms 0] [--error-rate 0] [--chaos] [--kills 5] [--settle-seconds 180]
#                   [--debug | --bin path] [--report file.json] [--keep]
#
# --chaos: while the load runs, kill -9 the server at random moments and restart it on the same
# data directory, and make the mock provider fail, slow down or rate-limit in bursts; at least
# --kills kills are required. The invariant check must hold afterwards. --settle-seconds: how
# long the check waits for acknowledged work to finish; more than the outbox relay's 120 s lease,
# which a killed server's leased messages wait out before they are sent again.
set -euo pipefail

duration=30 concurrency=32 rate="" tenants=4 mix="" latency=0 error_rate=0 chaos=0 kills=5 settle=180 config=release report="" keep=0 bin=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --tenants) tenants="$2"; shift 2 ;;
    --mix) mix="$2"; shift 2 ;;
    --latency-ms) latency="$2"; shift 2 ;;
    --error-rate) error_rate="$2"; shift 2 ;;
    --chaos) chaos=1; shift ;;
    --kills) kills="$2"; shift 2 ;;
    --settle-seconds) settle="$2"; shift 2 ;;
    --debug) config=debug; shift ;;
    --bin) bin="$2"; shift 2 ;;
    --report) report="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "load.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [[ -z "$bin" ]]; then
  echo "== building switchboard ($config)"
  swift build -c "$config" --product switchboard 2>&1 | tail -1
  bin="$root/.build/$config/switchboard"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-load.XXXXXX")"
data="$work/data"
mkdir -p "$data"
pids=()
cleanup() {
  # The server's pid is in a file: the chaos loop restarts it in a subshell.
  [[ -f "$work/serve.pid" ]] && kill -9 "$(cat "$work/serve.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
mock_port="$(free_port)"
port="$(free_port)"
mock="http://127.0.0.1:$mock_port"
url="http://127.0.0.1:$port"

# Twilio sends signed status callbacks (some twice, some reversed, some never) to the server's public URL.
"$bin" mock-provider --port "$mock_port" --latency-ms "$latency" --error-rate "$error_rate" \
  --twilio-auth-token load-token --twilio-callbacks --callback-duplicate-rate 0.1 --callback-out-of-order-rate 0.1 \
  --callback-drop-rate 0.05 >"$work/mock.log" 2>&1 &
pids+=($!)

cat >"$work/config.json" <<JSON
{
  "host": "127.0.0.1", "port": $port, "dataDir": "$data", "dev": true, "publicBaseUrl": "$url",
  "plans": { "internal-batch": { "requestsPerSecond": 100000, "burst": 100000 } },
  "llm": {
    "providers": [ { "id": "mock", "type": "openai", "baseUrl": "$mock", "timeoutSeconds": 10 } ],
    "models": { "gpt-load": { "maxOutputTokens": 4096, "inputPer1K": 150, "outputPer1K": 600 } },
    "routes": { "chat": [ { "provider": "mock", "model": "gpt-load" } ] },
    "defaultUseCase": "chat", "requestDeadlineSeconds": 20
  },
  "messaging": {
    "providers": [ { "id": "twilio", "type": "twilio", "baseUrl": "$mock", "contentBaseUrl": "$mock", "accountSid": "ACload",
                     "secretEnv": "LOAD_TWILIO_TOKEN", "smsFrom": "+15005550000", "whatsappFrom": "+14155238886" },
                   { "id": "sendgrid", "type": "sendgrid", "baseUrl": "$mock", "secretEnv": "LOAD_SENDGRID_KEY", "emailFrom": "load@example.com" } ],
    "routes": { "sms": "twilio", "whatsapp": "twilio", "email": "sendgrid" },
    "prices": { "sms": "0.0079", "whatsapp": "0.005", "email": "0.001" },
    "maxAttempts": 4
  }
}
JSON
export LOAD_TWILIO_TOKEN=load-token LOAD_SENDGRID_KEY=load-key

start_serve() {
  "$bin" serve --config "$work/config.json" >>"$work/serve.log" 2>&1 &
  echo $! >"$work/serve.pid"
  for _ in $(seq 1 300); do
    curl -fs "$url/llm-orch/v1/health" >/dev/null 2>&1 && return 0
    if ! kill -0 "$(cat "$work/serve.pid")" 2>/dev/null; then  # e.g. the port was not free yet: try again
      sleep 0.2
      "$bin" serve --config "$work/config.json" >>"$work/serve.log" 2>&1 &
      echo $! >"$work/serve.pid"
    fi
    sleep 0.1
  done
  echo "load.sh: the server did not come up; see $work/serve.log" >&2
  tail -20 "$work/serve.log" >&2
  touch "$work/server-down"
  return 1
}
echo "== starting mock-provider on $mock and switchboard on $url (data $data)"
for _ in $(seq 1 100); do curl -fs "$mock/_mock/calls" >/dev/null 2>&1 && break; sleep 0.1; done
start_serve

kill_count="$work/kills"
echo 0 >"$kill_count"
chaos_loop() {
  local end=$((SECONDS + duration)) n=0 pause
  while true; do
    # No kill in the last 3 s of the run: the check after it must find the server up.
    pause="$(python3 -c "import random; print(round(min(random.uniform(1.5, 4.0), $end - 3 - $SECONDS), 2))")"
    python3 -c "import sys; sys.exit(0 if $pause > 0 else 1)" || break
    sleep "$pause"
    case $((RANDOM % 3)) in
      0) curl -fs -X POST "$mock/_mock/faults" -d '{"errorRate":0.5,"seconds":2}' >/dev/null || true ;;
      1) curl -fs -X POST "$mock/_mock/faults" -d '{"rateLimitRate":0.6,"seconds":2}' >/dev/null || true ;;
      2) curl -fs -X POST "$mock/_mock/faults" -d '{"latencyMs":300,"seconds":2}' >/dev/null || true ;;
    esac
    kill -9 "$(cat "$work/serve.pid")" 2>/dev/null || true
    wait "$(cat "$work/serve.pid")" 2>/dev/null || true
    n=$((n + 1)); echo "$n" >"$kill_count"
    echo "   chaos: kill -9 #$n at ${SECONDS}s; restarting" >&2
    start_serve || return 1
  done
}
if [[ $chaos -eq 1 ]]; then
  chaos_loop &
  chaos_pid=$!
  pids+=("$chaos_pid")
fi

echo "== load for ${duration}s ($([[ -n "$rate" ]] && echo "rate $rate/s" || echo "concurrency $concurrency"), $tenants tenants$([[ $chaos -eq 1 ]] && echo ", chaos"))"
args=(load --url "$url" --data-dir "$data" --mock-url "$mock" --config "$work/config.json" --settle-seconds "$settle" --tenants "$tenants" --duration "$duration" --concurrency "$concurrency")
[[ -n "$rate" ]] && args+=(--rate "$rate")
[[ -n "$mix" ]] && args+=(--mix "$mix")
[[ -n "$report" ]] && args+=(--report "$report")
status=0
# The run, then the invariant check in the same process (it knows what was acknowledged). The
# chaos loop stops a few seconds before the run ends and leaves the server running for the check.
"$bin" "${args[@]}" || status=$?
if [[ $chaos -eq 1 ]]; then
  wait "$chaos_pid" 2>/dev/null || true
  if [[ -f "$work/server-down" ]]; then
    echo "load.sh: the server did not come back after a kill" >&2
    status=1
  else
    echo "== chaos: $(cat "$kill_count") kill -9s of the server survived"
  fi
fi
if [[ $chaos -eq 1 && $(cat "$kill_count") -lt $kills ]]; then
  echo "load.sh: only $(cat "$kill_count") kills (wanted at least $kills); run longer" >&2
  status=1
fi
exit $status
