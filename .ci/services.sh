# PostgreSQL and Redis for the real-services tests (tests/examples/test_production.py), from
# Debian's packages. Sourced by .ci/run; by hand: `source .ci/services.sh && start_services`,
# then `make test`, then `stop_services`. Both run in a temporary folder on ports of their
# own, are stopped by PID, and leave nothing behind: no system service is touched.
#
# start_services exports MINIFAST_TEST_DATABASE_URL and MINIFAST_TEST_REDIS_URL; if anything is
# missing it says so in one line and returns 1, and the tests that need the services skip.

SERVICES_DIR=""
SERVICES_PIDS=()

_install_services() {
    if command -v redis-server >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        return 0
    fi
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq postgresql redis-server >/dev/null; } && return 0
    fi
    echo "postgresql and redis-server could not be installed: the real-services tests will be skipped"
    return 1
}

_wait_for() {  # _wait_for SECONDS COMMAND...: until the command succeeds
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

start_services() {
    _install_services || return 1
    local bin pg_port=55432 redis_port=56379
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    SERVICES_DIR=$(mktemp -d)
    chmod 755 "$SERVICES_DIR"
    # PostgreSQL refuses to run as root: its data folder belongs to the `postgres` user.
    local as_postgres=()
    if [ "$(id -u)" = 0 ]; then as_postgres=(runuser -u postgres --); fi
    mkdir "$SERVICES_DIR/pg"
    if [ "$(id -u)" = 0 ]; then chown postgres "$SERVICES_DIR/pg"; fi
    "${as_postgres[@]}" "$bin/initdb" -D "$SERVICES_DIR/pg" -U postgres --auth=trust >/dev/null ||
        { echo "initdb failed: the real-services tests will be skipped"; return 1; }
    "${as_postgres[@]}" "$bin/postgres" -D "$SERVICES_DIR/pg" -p "$pg_port" \
        -c listen_addresses=127.0.0.1 -k "$SERVICES_DIR/pg" -c fsync=off >"$SERVICES_DIR/pg.log" 2>&1 &
    SERVICES_PIDS+=($!)
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
        >"$SERVICES_DIR/redis.log" 2>&1 &
    SERVICES_PIDS+=($!)
    _wait_for 30 "$bin/pg_isready" -h 127.0.0.1 -p "$pg_port" &&
        _wait_for 10 redis-cli -p "$redis_port" ping ||
        { echo "PostgreSQL or Redis did not start: see $SERVICES_DIR"; return 1; }
    # The server's own PID (the one started above may be runuser's).
    SERVICES_PIDS+=("$(head -1 "$SERVICES_DIR/pg/postmaster.pid")")
    "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres minifast_test
    export MINIFAST_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/minifast_test"
    export MINIFAST_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
    echo "PostgreSQL and Redis are up for the tests (PIDs ${SERVICES_PIDS[*]})"
}

stop_services() {
    local pid
    for pid in "${SERVICES_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${SERVICES_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    SERVICES_PIDS=()
    [ -z "$SERVICES_DIR" ] || rm -rf "$SERVICES_DIR"
    SERVICES_DIR=""
}
