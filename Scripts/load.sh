#!/usr/bin/env bash
# Load (and chaos) test on this machine, loopback only: builds switchboard, starts mock-provider
# and `switchboard serve` on free ports with a temporary data directory (LLM and messaging
# providers pointed at the mock), runs `switchboard load` (which funds its tenants through the
# internal API, drives the mix, then checks the invariants), prints the report and stops
# everything it started, also on Ctrl-C.
#
#   Scripts/load.sh [--duration 30] [--concurrency 32 | --rate R] [--tenants 4] [--mix complete=30,...]
#                   [--latency-ms 0] [--error-rate 0] [--chaos] [--kills 5] [--settle-seconds 180]
#                   [--postgres [--instances N]] [--debug | --bin path] [--report file.json] [--keep]
#
# --chaos: while the load runs, kill -9 the server at random moments and restart it on the same
# data directory, and make the mock provider fail, slow down or rate-limit in bursts; at least
# --kills kills are required. The invariant check must hold afterwards. --settle-seconds: how
# long the check waits for acknowledged work to finish; more than the outbox relay's 120 s lease,
# which a killed server's leased messages wait out before they are sent again.
# --postgres: a throwaway PostgreSQL cluster (Scripts/postgres.sh) holds all state, and
# --instances N servers share it; the load goes round-robin across them, each chaos kill takes
# a random instance, and once during a chaos run PostgreSQL itself is restarted.
# Besides the mix, 2 completions a second go to a provider limited to 30 requests a minute;
# the check finds the mock's calls to it within that limit across all instances.
set -euo pipefail

duration=30 concurrency=32 rate="" tenants=4 mix="" latency=0 error_rate=0 chaos=0 kills=5 settle=180 config=release report="" keep=0 bin=
postgres=0 instances=1
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
    --postgres) postgres=1; shift ;;
    --instances) instances="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "load.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [[ $instances -gt 1 && $postgres -eq 0 ]]; then echo "load.sh: --instances needs --postgres (SQLite is one process's)" >&2; exit 2; fi
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
# Beside the work dir, not in it: as root the cluster runs as `postgres`, which cannot enter a mktemp dir.
pg="$work-pg"
pids=()
cleanup() {
  # The servers' pids are in files: the chaos loop restarts them in a subshell.
  for file in "$work"/serve-*.pid; do [[ -f "$file" ]] && kill -9 "$(cat "$file")" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $postgres -eq 1 ]]; then
    "$root/Scripts/postgres.sh" stop "$pg" >/dev/null 2>&1 || true
    [[ $keep -eq 0 ]] && rm -rf "$pg"
  fi
  if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
mock_port="$(free_port)"
mock="http://127.0.0.1:$mock_port"
ports=() urls=()
for i in $(seq 1 "$instances"); do ports+=("$(free_port)"); urls+=("http://127.0.0.1:${ports[$((i - 1))]}"); done
port="${ports[0]}" url="${urls[0]}"
database_json="" database_url=""
if [[ $postgres -eq 1 ]]; then
  echo "== starting PostgreSQL"
  database_url="$("$root/Scripts/postgres.sh" start "$pg")"
  database_json="\"database\": \"$database_url\","
fi

# Twilio sends signed status callbacks (some twice, some reversed, some never) to the server's public URL.
"$bin" mock-provider --port "$mock_port" --latency-ms "$latency" --error-rate "$error_rate" \
  --twilio-auth-token load-token --twilio-callbacks --callback-duplicate-rate 0.1 --callback-out-of-order-rate 0.1 \
  --callback-drop-rate 0.05 >"$work/mock.log" 2>&1 &
pids+=($!)

cat >"$work/config.json" <<JSON
{
  "host": "127.0.0.1", "port": $port, "dataDir": "$data", "dev": true, "publicBaseUrl": "$url", $database_json
  "plans": { "internal-batch": { "requestsPerSecond": 100000, "burst": 100000 } },
  "llm": {
    "providers": [ { "id": "mock", "type": "openai", "baseUrl": "$mock", "timeoutSeconds": 10 },
                   { "id": "mock-limited", "type": "openai", "baseUrl": "$mock", "timeoutSeconds": 10, "requestsPerMinute": 30 } ],
    "models": { "gpt-load": { "maxOutputTokens": 4096, "inputPer1K": 150, "outputPer1K": 600 },
                "gpt-limited": { "maxOutputTokens": 4096, "inputPer1K": 150, "outputPer1K": 600 } },
    "routes": { "chat": [ { "provider": "mock", "model": "gpt-load" } ],
                "limited": [ { "provider": "mock-limited", "model": "gpt-limited" } ] },
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

# start_serve I: instance I (1-based) on its port, all of them on one data dir (the development
# keys) and, with --postgres, one database. Providers call back the first instance (the public URL).
start_serve() {
  local i="$1" pidfile="$work/serve-$1.pid" health="${urls[$(($1 - 1))]}/llm-orch/v1/health"
  local run=("$bin" serve --config "$work/config.json" --port "${ports[$(($1 - 1))]}")
  "${run[@]}" >>"$work/serve-$i.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 300); do
    curl -fs "$health" >/dev/null 2>&1 && return 0
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then  # e.g. the port was not free yet: try again
      sleep 0.2
      "${run[@]}" >>"$work/serve-$i.log" 2>&1 &
      echo $! >"$pidfile"
    fi
    sleep 0.1
  done
  echo "load.sh: instance $i did not come up; see $work/serve-$i.log" >&2
  tail -20 "$work/serve-$i.log" >&2
  touch "$work/server-down"
  return 1
}
echo "== starting mock-provider on $mock and switchboard on ${urls[*]} (data $data${database_url:+, database $database_url})"
for _ in $(seq 1 100); do curl -fs "$mock/_mock/calls" >/dev/null 2>&1 && break; sleep 0.1; done
# The first instance alone first: it makes the development keys the others then read.
start_serve 1
for i in $(seq 2 "$instances"); do start_serve "$i" & done
wait_for_instances() { for i in $(seq 1 "$instances"); do curl -fs "${urls[$((i - 1))]}/llm-orch/v1/health" >/dev/null 2>&1 || return 1; done; }
for _ in $(seq 1 300); do wait_for_instances && break; sleep 0.1; done

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
    n=$((n + 1)); echo "$n" >"$kill_count"
    if [[ $postgres -eq 1 && $n -eq 2 ]]; then
      # Once per run: PostgreSQL itself stops and starts while the instances serve.
      echo "   chaos: restarting PostgreSQL at ${SECONDS}s" >&2
      "$root/Scripts/postgres.sh" restart "$pg" >/dev/null 2>&1 || { echo "load.sh: PostgreSQL did not restart" >&2; touch "$work/server-down"; return 1; }
      continue
    fi
    local victim=$((RANDOM % instances + 1))
    kill -9 "$(cat "$work/serve-$victim.pid")" 2>/dev/null || true
    wait "$(cat "$work/serve-$victim.pid")" 2>/dev/null || true
    echo "   chaos: kill -9 #$n of instance $victim at ${SECONDS}s; restarting" >&2
    start_serve "$victim" || return 1
  done
}
if [[ $chaos -eq 1 ]]; then
  chaos_loop &
  chaos_pid=$!
  pids+=("$chaos_pid")
fi

echo "== load for ${duration}s ($([[ -n "$rate" ]] && echo "rate $rate/s" || echo "concurrency $concurrency"), $tenants tenants, $instances instance(s)$([[ $chaos -eq 1 ]] && echo ", chaos"))"
url_args=()
for u in "${urls[@]}"; do url_args+=(--url "$u"); done
args=(load "${url_args[@]}" --data-dir "$data" --mock-url "$mock" --config "$work/config.json" --settle-seconds "$settle" --tenants "$tenants" --duration "$duration" --concurrency "$concurrency")
[[ -n "$rate" ]] && args+=(--rate "$rate")
[[ -n "$mix" ]] && args+=(--mix "$mix")
[[ -n "$report" ]] && args+=(--report "$report")
[[ -n "$database_url" ]] && args+=(--database "$database_url")
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
    echo "== chaos: $(cat "$kill_count") faults ($([[ $postgres -eq 1 ]] && echo "kill -9s of $instances instances and one PostgreSQL restart" || echo "kill -9s of the server")) survived"
  fi
fi
if [[ $chaos -eq 1 && $(cat "$kill_count") -lt $kills ]]; then
  echo "load.sh: only $(cat "$kill_count") kills (wanted at least $kills); run longer" >&2
  status=1
fi
exit $status
