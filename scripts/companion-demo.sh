#!/usr/bin/env bash
# The companion API end to end, with curl only: log in as admin, create two users, log in as
# each, change one's status, and check that users.presence?from= as the other shows exactly that
# change; then a private group that the directory shows to its members only. Removes what it made.
#
# Usage: scripts/companion-demo.sh [BASE_URL]   (default http://127.0.0.1:3000, e.g. `cargo xtask serve`)
# Needs curl and python3 (to read JSON). Exits non-zero on the first unexpected answer.
set -euo pipefail
BASE=${1:-http://127.0.0.1:3000}
ADMIN_USER=${ADMIN_USER:-rocketchat.internal.admin.test}
ADMIN_PASSWORD=${ADMIN_PASSWORD:-rocketchat.internal.admin.test}
RUN="demo$(date +%s%N | tail -c 7)"

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
post() { # post AUTH_ID AUTH_TOKEN PATH BODY
  curl -sS -X POST -H "X-User-Id: $1" -H "X-Auth-Token: $2" -H 'Content-Type: application/json' -d "$4" "$BASE$3"
}
get() { # get AUTH_ID AUTH_TOKEN PATH_AND_QUERY
  curl -sS -H "X-User-Id: $1" -H "X-Auth-Token: $2" "$BASE$3"
}
login() { curl -sS -X POST -H 'Content-Type: application/json' -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$BASE/api/v1/login"; }

admin=$(login "$ADMIN_USER" "$ADMIN_PASSWORD")
AID=$(echo "$admin" | json "d['data']['userId']"); ATOK=$(echo "$admin" | json "d['data']['authToken']")
echo "1. logged in as admin $AID"

for who in one two; do
  body="{\"email\":\"$RUN.$who@example.org\",\"name\":\"Demo $who\",\"password\":\"pw-$RUN\",\"username\":\"$RUN.$who\",\"joinDefaultChannels\":false}"
  [ "$(post "$AID" "$ATOK" /api/v1/users.create "$body" | json "d['success']")" = True ] || fail "users.create $who"
done
echo "2. created $RUN.one and $RUN.two"

one=$(login "$RUN.one" "pw-$RUN"); ONE=$(echo "$one" | json "d['data']['userId']"); ONETOK=$(echo "$one" | json "d['data']['authToken']")
two=$(login "$RUN.two" "pw-$RUN"); TWO=$(echo "$two" | json "d['data']['userId']"); TWOTOK=$(echo "$two" | json "d['data']['authToken']")
echo "3. logged in as each: $ONE, $TWO"

sleep 0.01
FROM=$(python3 -c "import datetime; print(datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00','Z'))")
sleep 0.01
# online, not busy: as Rocket.Chat 8.6+, a busy set over REST (no live connection) shows offline.
post "$ONE" "$ONETOK" /api/v1/users.setStatus '{"status":"online","message":"in the demo"}' >/dev/null
delta=$(get "$TWO" "$TWOTOK" "/api/v1/users.presence?from=$FROM")
echo "4. $RUN.one set online; users.presence?from=$FROM as $RUN.two: $delta"
[ "$(echo "$delta" | json "[u['_id'] for u in d['users']]")" = "['$ONE']" ] || fail "the delta must hold exactly $ONE"
[ "$(echo "$delta" | json "d['users'][0]['status'] + '/' + str(d['full'])")" = "online/False" ] || fail "online, full:false expected"

post "$ONE" "$ONETOK" /api/v1/groups.create "{\"name\":\"$RUN-private\",\"members\":[\"$RUN.two\"]}" >/dev/null
q="/api/v1/directory?type=channels&text=$RUN-private"
[ "$(get "$TWO" "$TWOTOK" "$q" | json "d['total']")" = 1 ] || fail "a member sees the private group"
[ "$(get "$AID" "$ATOK" "$q" | json "d['total']")" = 0 ] || fail "a non-member does not see the private group"
echo "5. $RUN-private is in the directory of its member $RUN.two and not of the admin"

post "$ONE" "$ONETOK" /api/v1/groups.delete "{\"roomName\":\"$RUN-private\"}" >/dev/null
for id in "$ONE" "$TWO"; do post "$AID" "$ATOK" /api/v1/users.delete "{\"userId\":\"$id\"}" >/dev/null; done
echo "6. cleaned up"
echo "OK"
