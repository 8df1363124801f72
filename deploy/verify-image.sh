#!/bin/bash
# Build Netra's images here and check them: one PASS/FAIL line per check, then a summary; exit 1 on any FAIL.
# Cleans up what it started (containers, networks, volumes, temporary files); keeps the images it built.
#
#   deploy/verify-image.sh                  # base images if missing, the bot image, smoke test, compose topology
#   REBUILD_BASE=1 deploy/verify-image.sh   # rebuild the Debian base images too (mmdebstrap, ~2 minutes)
#   NO_COMPOSE=1 deploy/verify-image.sh     # image checks only
#   KEEP=1 deploy/verify-image.sh           # leave the compose project running (project "netraverify")
#   CHECK_REAL_API=1 ...                    # also start one replica against api.telegram.org (INFO only)
#
# Other settings: IMAGE (default localhost/netra:latest), VERIFY_PORT (HAProxy on the host, default 18080),
# PIP_CA (a CA bundle lent to pip during the build, for a TLS-intercepting proxy; default $PIP_CERT if set).
#
# The compose check runs compose.yaml with deploy/compose.verify.yaml: the project's fake Bot API
# (tests/fake_telegram.py, through deploy/fake-telegram.py) stands in for Telegram, so the check needs no
# network beyond PyPI for the build. Secrets are made up for the run and deleted with it.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${IMAGE:-localhost/netra:latest}
BASE=localhost/netra-base:bookworm
PROJECT=netraverify
PORT=${VERIFY_PORT:-18080}
QUESTION="boleh gak pns like postingan caleg?"
WORK=$(mktemp -d /tmp/netra-verify.XXXXXX)
chmod 700 "$WORK"
FAILS=0
PASSES=0

pass() { echo "PASS $*"; PASSES=$((PASSES + 1)); }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }
info() { echo "INFO $*"; }
check() { # check "what" command...: PASS or FAIL on the command's status
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
# podman prints "unable to get systemd connection ... healthchecks" where there is no systemd: noise, dropped
quiet() { grep -v -e 'systemd connection' -e 'failed to connect to syslog' >&2 || true; }

cleanup() {
    if [ "${KEEP:-0}" = 1 ] && [ -f "$WORK/compose.yaml" ]; then
        info "KEEP=1: project $PROJECT left running; its files (and made-up .env) are in $WORK"
        return
    fi
    if command -v podman >/dev/null; then
        podman ps -aq --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman rm -f -v -t 30 >/dev/null 2>&1
        podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1
        podman network ls -q --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman network rm -f >/dev/null 2>&1
        podman rm -f -v netra-verify-smoke >/dev/null 2>&1
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== Netra container verification ($(date -u +%FT%TZ), $(uname -m), $(podman --version 2>/dev/null))"
for tool in podman mmdebstrap; do
    command -v $tool >/dev/null || { fail "prerequisite $tool (apt-get install podman mmdebstrap)"; exit 1; }
done

# --- podman on this machine: the defaults, or what a root sandbox needs ------------------------------------
probe() { podman run --rm --network=none --no-healthcheck "$BASE" true 2>"$WORK/probe.err"; }
if ! podman image exists "$BASE" || [ "${REBUILD_BASE:-0}" = 1 ]; then
    if "$REPO/deploy/build-base.sh" >"$WORK/base.log" 2>&1; then
        pass "base images built with mmdebstrap: $(grep '^localhost/' "$WORK/base.log" | tr '\n' ' ')"
    else
        tail -20 "$WORK/base.log"
        fail "base images (deploy/build-base.sh)"
        exit 1
    fi
else
    info "base images present (REBUILD_BASE=1 rebuilds them): $(podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep netra- | tr '\n' ' ')"
fi
if probe; then
    info "podman runs containers with its default configuration"
else
    info "podman's defaults fail here: $(grep -o 'Error.*' "$WORK/probe.err" | head -1)"
    # Seen in a root sandbox: crun refuses the hybrid cgroup v1/v2 layout; runc runs, but neither may raise the
    # open-file and process limits above this machine's hard limits (podman's defaults are 1048576 / 4194304).
    nofile=$(ulimit -Hn)
    nproc=$(ulimit -Hu)
    [ "$nofile" = unlimited ] && nofile=1048576
    { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
    cat >"$WORK/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "$(command -v runc >/dev/null && echo runc || echo crun)"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
    export CONTAINERS_CONF="$WORK/containers.conf"
    if probe; then
        info "podman runs with CONTAINERS_CONF ($(tr '\n' ' ' <"$WORK/containers.conf"))"
    else
        fail "podman cannot run a container here: $(grep -o 'Error.*' "$WORK/probe.err" | head -1)"
        exit 1
    fi
fi

# --- the bot image ----------------------------------------------------------------------------------------
ca=${PIP_CA:-${PIP_CERT:-}}
secret=()
[ -n "$ca" ] && [ -f "$ca" ] && secret=(--secret "id=pip_ca,src=$ca")
start=$(date +%s)
if podman build --format docker "${secret[@]}" -t "$IMAGE" "$REPO" >"$WORK/build.log" 2>&1; then
    pass "podman build $IMAGE in $(($(date +%s) - start)) s, $(podman image ls --format '{{.Size}}' "$IMAGE")"
else
    tail -25 "$WORK/build.log"
    fail "podman build (log above)"
    exit 1
fi
podman image prune -f >/dev/null 2>&1  # the previous build's untagged image

run() { podman run --rm --network=none --no-healthcheck "$@" 2> >(quiet); }
out=$(run "$IMAGE" python main.py ask "$QUESTION")
rc=$?
if [ $rc = 0 ] && grep -q DILARANG <<<"$out"; then
    pass "smoke test: python main.py ask \"$QUESTION\" (offline) answers:"
    head -3 <<<"$out" | cut -c1-160 | sed 's/^/     | /'
else
    fail "smoke test: exit $rc, output: $(head -5 <<<"$out")"
fi
out=$(run "$IMAGE" python main.py kb validate 2>&1)
check "kb validate in the image: $(tail -1 <<<"$out")" test $? = 0
check "runs as netra (uid 10001), code read-only, no .env/.git/.venv/tests/data in /app" \
    run "$IMAGE" sh -c '[ "$(id -u)" = 10001 ] && ! touch /app/x 2>/dev/null && for f in .env .git .venv tests data; do [ ! -e /app/$f ] || exit 1; done'
hc=$(podman image inspect "$IMAGE" --format '{{json .Config.Healthcheck}}' 2>/dev/null)
check "HEALTHCHECK kept in the image (docker format): ${hc:0:90}" grep -q healthz <<<"$hc"
stops_at_once() {
    podman run -d --name netra-verify-smoke --network=none --no-healthcheck "$IMAGE" sleep 300 >/dev/null 2>&1 || return 1
    local s=$(date +%s)
    podman stop -t 20 netra-verify-smoke >/dev/null 2>&1 && [ $(($(date +%s) - s)) -lt 5 ] &&
        podman rm -v netra-verify-smoke >/dev/null 2>&1
}
check "PID 1 is tini: SIGTERM stops a container at once, not after podman's SIGKILL timeout" stops_at_once

if [ "${CHECK_REAL_API:-0}" = 1 ]; then
    real=$(podman run --rm --no-healthcheck --tmpfs /data:rw,mode=0700,U -e BOT_TOKEN=123456:not-a-real-token \
        -e WEBHOOK_URL=https://example.org/telegram "$IMAGE" 2>&1 | grep -v systemd | tail -1)
    info "one process against api.telegram.org with a made-up token prints: $real"
fi

# --- the compose topology ----------------------------------------------------------------------------------
if [ "${NO_COMPOSE:-0}" = 1 ]; then
    info "NO_COMPOSE=1: compose topology not checked"
elif ! command -v podman-compose >/dev/null; then
    fail "podman-compose is not installed (apt-get install podman-compose); compose topology not checked"
else
    mkdir -p "$WORK/deploy"
    cp "$REPO/deploy/haproxy.cfg" "$REPO/deploy/compose.verify.yaml" "$WORK/deploy/"
    sed "s/\"8080:8080\"/\"127.0.0.1:$PORT:8080\"/" "$REPO/compose.yaml" >"$WORK/compose.yaml"
    (umask 077 && cat >"$WORK/.env" <<ENV
BOT_TOKEN=123456:verify-$(python3 -c 'import secrets; print(secrets.token_hex(8))')
WEBHOOK_URL=http://haproxy:8080/telegram
WEBHOOK_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
DATA_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
POSTGRES_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
ADMIN_IDS=1
ENV
    )
    export NETRA_REPO="$REPO"
    # podman-compose echoes every podman command, secrets included: into a file that goes with $WORK
    compose() { (cd "$WORK" && podman-compose -p "$PROJECT" -f compose.yaml -f deploy/compose.verify.yaml "$@") >>"$WORK/compose.log" 2>&1; }
    c() { echo "${PROJECT}_$1_1"; }
    ex() { podman exec "$(c "$1")" "${@:2}" 2> >(quiet); }
    wait_for() { # wait_for SECONDS command...
        local until=$(($(date +%s) + $1))
        shift
        until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt $until ] || return 1; sleep 1; done
    }
    healthz() { ex "$1" python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8443/healthz', timeout=3)"; }
    fake() { # fake ask USER TEXT | fake state
        if [ "$1" = ask ]; then
            ex faketg python -c "import json, sys, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8081/_control/ask', json.dumps({'user_id': int(sys.argv[1]), 'text': sys.argv[2]}).encode(), {'Content-Type': 'application/json'}))" "$2" "$3"
        else
            ex faketg python -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8081/_control/state').read().decode())"
        fi
    }
    answered() { fake state | python3 -c "import json, sys; s = json.load(sys.stdin); sys.exit(not any(m['chat_id'] == sys.argv[1] and sys.argv[2] in m['text'] for m in s['sent']))" "$1" "$2"; }

    compose up -d db redis faketg
    if wait_for 60 ex db pg_isready -q -h 127.0.0.1 -U netra -d netra; then
        pass "compose: postgres (netra-postgres, first start created role and database) accepts connections"
    else
        fail "compose: postgres not ready in 60 s: $(podman logs --tail 5 "$(c db)" 2>&1 | tr '\n' ' ')"
    fi
    no_persistence() {
        [ "$(ex redis redis-cli config get save | sed -n 2p)" = "" ] &&
            [ "$(ex redis redis-cli config get appendonly | sed -n 2p)" = no ]
    }
    check "compose: redis runs without persistence (save '', appendonly no)" no_persistence
    compose run --rm --no-deps deploy
    deployed=$(grep -a -e 'webhook set to' -e '^error' "$WORK/compose.log" | tail -1)
    if grep -q "webhook set to" <<<"$deployed"; then
        pass "compose: one-shot deploy (schema, setWebhook with the secret, menus): $deployed"
    else
        fail "compose: deploy: ${deployed:-$(tail -3 "$WORK/compose.log")}"
    fi
    compose up -d
    for bot in bot-1 bot-2; do
        if wait_for 120 healthz $bot; then
            pass "compose: $bot GET /healthz 200 $(ex $bot python -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8443/healthz').read().decode())")"
        else
            fail "compose: $bot /healthz: $(podman logs --tail 5 "$(c $bot)" 2>&1 | grep -v systemd | tr '\n' ' ')"
        fi
    done
    healthy() { podman healthcheck run "$(c bot-1)" >/dev/null 2>&1; }  # status 0: healthy
    check "compose: podman healthcheck run (the HEALTHCHECK) says healthy" healthy
    code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
    haproxy_up() { [ "$(code "http://127.0.0.1:$PORT/haproxy-health")" = 200 ]; }
    both_up() { podman logs "$(c haproxy)" 2>&1 | grep -q 'bots/bot-1 is UP' && podman logs "$(c haproxy)" 2>&1 | grep -q 'bots/bot-2 is UP'; }
    check "compose: HAProxy published on 127.0.0.1:$PORT (/haproxy-health 200)" wait_for 30 haproxy_up
    check "compose: HAProxy's health checks on /healthz put bot-1 and bot-2 UP" wait_for 30 both_up
    check "compose: HAProxy keeps /healthz internal (404) and forwards POST /telegram (403 without the secret)" \
        test "$(code "http://127.0.0.1:$PORT/healthz")/$(code -X POST -d '{}' "http://127.0.0.1:$PORT/telegram")" = 404/403
    fake ask 1001 "$QUESTION"
    if wait_for 30 answered 1001 DILARANG; then
        pass "compose: an update through fake Telegram -> HAProxy -> a replica is answered: $(fake state | python3 -c "import json, sys; print(json.load(sys.stdin)['sent'][0]['text'].splitlines()[0][:100])")"
    else
        fail "compose: no answer to an update: $(fake state | cut -c1-300)"
    fi
    start=$(date +%s)
    podman stop -t 30 "$(c bot-1)" >/dev/null 2>&1
    stopped="exit $(podman inspect "$(c bot-1)" --format '{{.State.ExitCode}}') after $(($(date +%s) - start)) s"
    if podman logs "$(c bot-1)" 2>&1 | grep -q "stopping: finishing the updates"; then
        pass "compose: SIGTERM drains bot-1 ($stopped): $(podman logs --tail 1 "$(c bot-1)" 2>&1 | grep -v systemd)"
    else
        fail "compose: bot-1 did not drain on SIGTERM ($stopped)"
    fi
    for n in 1 2 3; do fake ask $((2000 + n)) "bolehkah pns hadir kampanye?"; done
    all_answered() { answered 2001 "" && answered 2002 "" && answered 2003 ""; }
    if wait_for 40 all_answered; then
        pass "compose: with bot-1 stopped, bot-2 answers 3 more updates (HAProxy retries, takes bot-1 out)"
    else
        fail "compose: with bot-1 stopped, not every update was answered in 40 s; bot-2's and HAProxy's last lines:"
        podman logs --tail 30 "$(c bot-2)" 2>&1 | grep -v systemd | sed 's/^/     bot-2 | /'
        podman logs --tail 12 "$(c haproxy)" 2>&1 | sed 's/^/     haproxy | /'
    fi
    info "fake Telegram's log of webhook deliveries (update id, HTTP status): $(fake state | python3 -c "import json, sys; print(json.load(sys.stdin)['deliveries'])")"
    # One process on SQLite, long polling (the README's default), its DATA_DIR a named volume
    token=$(grep '^BOT_TOKEN=' "$WORK/.env" | cut -d= -f2)
    ex faketg python -c "import sys, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8081/bot%s/deleteWebhook' % sys.argv[1], data=b''))" "$token"
    podman run -d --name "${PROJECT}_sqlite" --label "io.podman.compose.project=$PROJECT" --network "${PROJECT}_front" \
        --no-healthcheck --stop-timeout 30 -v "${PROJECT}_sqlite:/data" -e "BOT_TOKEN=$token" \
        -e BOT_API_BASE_URL=http://faketg:8081/bot -e BOT_API_FILE_URL=http://faketg:8081/file/bot "$IMAGE" >/dev/null 2> >(quiet)
    sleep 5
    fake ask 4001 "$QUESTION"
    if wait_for 60 answered 4001 DILARANG && podman exec "${PROJECT}_sqlite" test -s /data/netra.sqlite3; then
        pass "one process on SQLite (long polling, DATA_DIR a volume written by uid 10001) answers"
    else
        fail "one process on SQLite: $(podman logs --tail 5 "${PROJECT}_sqlite" 2>&1 | grep -v systemd | tr '\n' ' ')"
    fi
    podman rm -f -v -t 30 "${PROJECT}_sqlite" >/dev/null 2>&1
    podman volume rm -f "${PROJECT}_sqlite" >/dev/null 2>&1
    if [ "${KEEP:-0}" != 1 ]; then
        compose down -v -t 30
    fi
fi

echo "== $PASSES passed, $FAILS failed"
[ $FAILS = 0 ]
