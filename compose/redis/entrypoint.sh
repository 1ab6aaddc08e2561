#!/bin/sh
# Renders the Redis ACL file of CNCF Job Management from users.acl (a template next to this
# script) and the passwords in the environment, then starts Redis with it.
#
#   entrypoint.sh redis-server [ARG...]   render to $CNCF_ACL_FILE (default /data/users.acl), then
#                                         run redis-server ARG... --aclfile <that file>, through the
#                                         image's docker-entrypoint.sh when there is one (it drops
#                                         root and hands /data to the redis user)
#   entrypoint.sh --render FILE           only render, to FILE (ops/check-acl uses this)
#
# Environment:
#   REDIS_GATEWAY_PASSWORD, REDIS_SCHEDULER_PASSWORD, REDIS_WORKER_PASSWORD,
#   REDIS_AUDIT_PASSWORD, REDIS_ADMIN_PASSWORD    required, one per ACL user
#   REDIS_PRODUCER_PASSWORD                       optional; without it the producer user is off
#   REDIS_KEDA_PASSWORD                           optional; without it the keda user is off
#   CNCF_NAMESPACE                                key prefix the rules allow (default cncf)
#   CNCF_ACL_TEMPLATE                             the template (default: users.acl next to this file)
#
# Passwords must be at least 16 characters of A-Z a-z 0-9 . _ ~ - (they go into REDIS_URL
# unencoded and into the ACL file, which splits on spaces). Only their SHA-256 reaches the file.
# The file is written afresh at every start, so changed passwords take effect on a restart.
set -eu

die() {
    printf 'cncf-redis-entrypoint: %s\n' "$*" >&2
    exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
template=${CNCF_ACL_TEMPLATE:-$here/users.acl}
namespace=${CNCF_NAMESPACE:-cncf}

render_only=0
if [ "${1:-}" = "--render" ]; then
    [ $# -eq 2 ] || die "usage: entrypoint.sh --render FILE"
    render_only=1
    output=$2
else
    [ $# -gt 0 ] || set -- redis-server
    output=${CNCF_ACL_FILE:-/data/users.acl}
fi

[ -r "$template" ] || die "cannot read the ACL template $template"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum is needed to hash the passwords"

# The namespace becomes part of glob patterns: refuse characters that mean something there.
case $namespace in
    "" | *[!A-Za-z0-9{}._-]*) die "CNCF_NAMESPACE may only hold A-Z a-z 0-9 { } . _ - (got '$namespace')" ;;
esac

# auth_rule VARIABLE REQUIRED: "on #<sha256>" for a good password; "off resetpass" for an unset
# optional one. Never prints the password.
auth_rule() {
    eval "value=\${$1:-}"
    if [ -z "$value" ]; then
        [ "$2" = optional ] || die "$1 is not set (see compose/.env.example)"
        echo "off resetpass"
        return 0
    fi
    case $value in
        *change-me*) die "$1 is still the placeholder from compose/.env.example; set a real password" ;;
        *[!A-Za-z0-9._~-]*) die "$1 may only hold A-Z a-z 0-9 . _ ~ - (percent-encoding is not supported here)" ;;
    esac
    [ ${#value} -ge 16 ] || die "$1 is shorter than 16 characters; try: openssl rand -hex 24"
    echo "on #$(printf '%s' "$value" | sha256sum | cut -d ' ' -f 1)"
}

gateway=$(auth_rule REDIS_GATEWAY_PASSWORD required)
scheduler=$(auth_rule REDIS_SCHEDULER_PASSWORD required)
worker=$(auth_rule REDIS_WORKER_PASSWORD required)
audit=$(auth_rule REDIS_AUDIT_PASSWORD required)
admin=$(auth_rule REDIS_ADMIN_PASSWORD required)
producer=$(auth_rule REDIS_PRODUCER_PASSWORD optional)
keda=$(auth_rule REDIS_KEDA_PASSWORD optional)

directory=$(dirname "$output")
mkdir -p "$directory"
partial="$directory/.users.acl.$$"
umask 077
# Redis allows no comments or blank lines in an ACL file.
grep -v -e '^#' -e '^[[:space:]]*$' "$template" | sed \
    -e "s|@NS@|$namespace|g" \
    -e "s|@GATEWAY_AUTH@|$gateway|g" \
    -e "s|@SCHEDULER_AUTH@|$scheduler|g" \
    -e "s|@WORKER_AUTH@|$worker|g" \
    -e "s|@AUDIT_AUTH@|$audit|g" \
    -e "s|@ADMIN_AUTH@|$admin|g" \
    -e "s|@PRODUCER_AUTH@|$producer|g" \
    -e "s|@KEDA_AUTH@|$keda|g" >"$partial" || { rm -f "$partial"; die "cannot write $output"; }
if grep -q '@[A-Z][A-Z_]*@' "$partial"; then
    rm -f "$partial"
    die "the template $template has a placeholder this script does not know"
fi
mv -f "$partial" "$output"

case $producer in on*) producer_state=on ;; *) producer_state=off ;; esac
case $keda in on*) keda_state=on ;; *) keda_state=off ;; esac
printf 'cncf-redis-entrypoint: wrote %s for namespace %s (users gateway scheduler worker audit admin; producer %s; keda %s; default off)\n' \
    "$output" "$namespace" "$producer_state" "$keda_state" >&2

[ "$render_only" = 0 ] || exit 0

if [ "$(id -u)" = 0 ] && id redis >/dev/null 2>&1; then
    chown redis:redis "$output"
fi
if command -v docker-entrypoint.sh >/dev/null 2>&1; then
    exec docker-entrypoint.sh "$@" --aclfile "$output"
fi
exec "$@" --aclfile "$output"
