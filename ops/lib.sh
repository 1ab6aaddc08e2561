# shellcheck shell=bash
# Helpers shared by ops/stack, ops/test and ops/check-packaging.
# Source it; it defines functions and a few variables and runs nothing.

# Repository root: the parent of the folder this file lives in.
CNCF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CNCF_ROOT

# Debian packages the build, the tests and ops/stack need.
# libssl-dev: SHA-256 of the audit chain; sqlite3: the shell the audit tests tamper with the archive through;
# python3: the tokens, passwords and free ports of ops/stack and ops/check-acl.
CNCF_PACKAGES=(libhiredis-dev libmicrohttpd-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev redis-server redis-tools
    curl sqlite3 python3)

_cncf_apt_updated=0

log_info() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# package_installed PKG: true when dpkg reports PKG as installed.
package_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# ensure_packages [PKG...]: install the given Debian packages (default: CNCF_PACKAGES)
# that are missing. Runs `apt-get update` once, and only when something must be installed.
ensure_packages() {
    local wanted=("$@") missing=() pkg
    [ ${#wanted[@]} -gt 0 ] || wanted=("${CNCF_PACKAGES[@]}")
    command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: ensure_packages needs Debian or Ubuntu"
    for pkg in "${wanted[@]}"; do
        package_installed "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -gt 0 ] || return 0

    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "missing packages (${missing[*]}) and not root; install them first"
        sudo=(sudo)
    fi
    log_info "installing Debian packages: ${missing[*]}"
    if [ "$_cncf_apt_updated" -eq 0 ]; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
            || die "apt-get update failed"
        _cncf_apt_updated=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

# port_in_use PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port: print a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    local py port _
    for py in python3 /usr/bin/python3; do
        if command -v "$py" >/dev/null 2>&1; then
            port="$("$py" - <<'EOF' 2>/dev/null
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
)" && [ -n "$port" ] && { echo "$port"; return 0; }
        fi
    done
    # No Python: probe random ports in the upper ephemeral-free range.
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 30000 ))
        port_in_use "$port" || { echo "$port"; return 0; }
    done
    die "could not find a free TCP port"
}

# wait_http URL TIMEOUT_SECONDS: wait until URL answers HTTP 200. Returns 1 on timeout.
wait_http() {
    local url=$1 timeout=${2:-30} deadline
    deadline=$(( SECONDS + timeout ))
    while :; do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            return 0
        fi
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.3
    done
}

# spawn_detached LOGFILE PIDFILE COMMAND [ARG...]: start COMMAND in the background in a
# session of its own (so Ctrl-C or a closed terminal does not reach it), with stdin from
# /dev/null and stdout/stderr appended to LOGFILE. Writes the command's own PID to PIDFILE
# and prints it.
spawn_detached() {
    local logfile=$1 pidfile=$2 _
    shift 2
    rm -f "$pidfile"
    # The inner shell records its own PID, then becomes COMMAND through exec, so PIDFILE
    # names the real process whatever setsid does.
    # shellcheck disable=SC2016
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 &
    for _ in $(seq 1 100); do
        [ -s "$pidfile" ] && break
        sleep 0.05
    done
    [ -s "$pidfile" ] || { log_info "could not start: $*"; return 1; }
    cat "$pidfile"
}

# pid_alive PID: true when PID is a running process (zombies count as dead).
pid_alive() {
    local pid=$1 state
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
    [ "$state" != "Z" ]
}

# pid_runs PID NAME: true when PID is alive and its command line mentions NAME
# (guards against killing an unrelated process that reused a stale PID).
pid_runs() {
    pid_alive "$1" || return 1
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# stop_pid PID [GRACE_SECONDS]: SIGTERM, wait up to GRACE seconds (default 10), then SIGKILL.
stop_pid() {
    local pid=$1 grace=${2:-10} deadline
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    deadline=$(( SECONDS + grace ))
    while pid_alive "$pid"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log_info "pid $pid did not stop within ${grace}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
            break
        fi
        sleep 0.1
    done
}

# redis_cli PORT USER PASSWORD_FILE [ARG...]: redis-cli against 127.0.0.1:PORT, logged in as the ACL
# user USER with the password in PASSWORD_FILE. The password travels in REDISCLI_AUTH, so it never shows
# on a command line. With an empty USER it does not log in.
redis_cli() {
    local port=$1 user=$2 password_file=$3
    shift 3
    if [ -z "$user" ]; then
        redis-cli -h 127.0.0.1 -p "$port" "$@"
        return
    fi
    REDISCLI_AUTH="$(cat "$password_file")" redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" --user "$user" "$@"
}

# start_redis DIR PORT [ACL_FILE USER PASSWORD_FILE]: start a private redis-server on 127.0.0.1:PORT
# keeping its data and log in DIR, wait until it answers PING, and print its PID. With ACL_FILE it
# loads those ACL users (--aclfile) and PING goes as USER with the password in PASSWORD_FILE. The
# process is ours: stop it with stop_pid (it is not daemonized). Fails if PORT is already taken.
start_redis() {
    local dir=${1:-} port=${2:-} acl=${3:-} user=${4:-} password_file=${5:-} pid _
    if [ -z "$dir" ] || [ -z "$port" ]; then
        log_info "usage: start_redis DIR PORT [ACL_FILE USER PASSWORD_FILE]"
        return 2
    fi
    local acl_args=()
    if [ -n "$acl" ]; then
        if [ -z "$user" ] || [ ! -r "$password_file" ] || [ ! -r "$acl" ]; then
            log_info "start_redis: with an ACL file it needs a readable ACL file, a user and a password file"
            return 2
        fi
        # redis-server changes into --dir before it reads the ACL file.
        acl_args=(--aclfile "$(cd "$(dirname "$acl")" && pwd)/$(basename "$acl")")
    fi
    command -v redis-server >/dev/null 2>&1 || { log_info "redis-server not installed"; return 1; }
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if port_in_use "$port"; then
        log_info "port $port on 127.0.0.1 is already in use; cannot start redis-server there"
        return 1
    fi
    # Job hashes hold JSON values longer than Redis's default 64-byte limit for the compact
    # listpack encoding; 1024 keeps them compact (docs/deployment.md). Redis before 7 calls the
    # setting hash-max-ziplist-value.
    local compact=hash-max-listpack-value
    case "$(redis-server --version 2>/dev/null | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')" in
        [1-6]) compact=hash-max-ziplist-value ;;
    esac
    pid=$(spawn_detached "$dir/redis.stdout" "$dir/redis.pid" \
        redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
        --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
        "--$compact" 1024 \
        --save "" --daemonize no --logfile "$dir/redis.log" "${acl_args[@]}") || return 1
    for _ in $(seq 1 200); do
        if ! pid_alive "$pid"; then
            log_info "redis-server exited during start-up; last lines of $dir/redis.log:"
            tail -n 20 "$dir/redis.log" "$dir/redis.stdout" >&2 2>/dev/null || true
            return 1
        fi
        if [ "$(redis_cli "$port" "$user" "$password_file" ping 2>/dev/null)" = "PONG" ]; then
            echo "$pid"
            return 0
        fi
        sleep 0.1
    done
    log_info "redis-server on port $port did not answer PING within 20s"
    tail -n 20 "$dir/redis.log" >&2 2>/dev/null || true
    stop_pid "$pid" 5
    return 1
}
