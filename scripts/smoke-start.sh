#!/usr/bin/env bash
# The README's first command, as a user runs it: `pnpm start`, then the curl walk-through's
# register → login → me against the default SQLite server. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${SMOKE_PORT:-3999}
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
data=$(mktemp -d)
log="$data/server.log"
# Own process group, so stopping it stops pnpm and the node server it started.
DATABASE_URL="$data/tradeplane.db" PORT=$port setsid pnpm start >"$log" 2>&1 &
pid=$!
cleanup() { kill -- -"$pid" 2>/dev/null || true; sleep 0.5; rm -rf "$data"; }
trap cleanup EXIT

api="http://localhost:$port/api/v1"
# `pnpm start` builds every package first: give a slow or busy machine time for that.
for _ in $(seq 1 300); do
  curl -sf "$api/health" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "server exited"; exit 1; }
  sleep 1
done
grep -q "Docs     http://localhost:$port/api/v1/docs" "$log" || { cat "$log"; echo "server did not print its URLs"; exit 1; }

body='{"email":"smoke@example.com","password":"correct horse battery"}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$api/auth/register" -H 'content-type: application/json' -d "$body")
[ "$code" = 201 ] || { echo "register answered $code"; exit 1; }
token=$(curl -sf -X POST "$api/auth/login" -H 'content-type: application/json' -d "$body" | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
me=$(curl -sf "$api/auth/me" -H "authorization: Bearer $token")
echo "$me" | grep -q '"email":"smoke@example.com"' || { echo "me answered: $me"; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/docs")" = 200 ] || { echo "docs not served"; exit 1; }
withdraw() { curl -s -X POST "$api/wallet/withdraw" -H "authorization: Bearer $token" -H 'idempotency-key: smoke-1' -H 'content-type: application/json' -d '{"amount":"25.50","currency":"USD"}'; }
withdraw | grep -q '"balance":"9974.50"' || { echo "withdraw answered: $(withdraw)"; exit 1; }
withdraw >/dev/null
wallet=$(curl -sf "$api/wallet" -H "authorization: Bearer $token")
echo "$wallet" | grep -q '"balance":"9974.50"' || { echo "wallet answered: $wallet"; exit 1; }
echo "smoke: pnpm start served register → login → me, /docs and an idempotent withdrawal on SQLite"
