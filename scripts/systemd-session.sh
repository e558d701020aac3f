#!/usr/bin/env bash
# Runs a command beside a private, real `systemd --user`, then stops it.
#
#   HOME=$(mktemp -d) scripts/systemd-session.sh COMMAND [ARGS...]
#
# Inside a private mount namespace a tmpfs covers /run/systemd, so the user manager starts even where
# PID 1 is not systemd (containers, CI), and nothing leaks into the machine's own /run/systemd. It
# gets a fresh XDG_RUNTIME_DIR (exported to COMMAND), and uses the caller's HOME: point HOME at a
# throwaway directory, since units are installed under $HOME/.config/systemd/user. Other variables
# (D-Bus session bus, keyring, DISPLAY) pass through to the manager and so to the units it starts.
# The manager's own log is $XDG_RUNTIME_DIR/systemd.log; the exit status is COMMAND's.
#
# Each session also runs in a cgroup of its own: a user manager names its units' cgroups after the
# cgroup it was started from (<cgroup>/app.slice/keyrot.service), so two sessions started from the
# same place (test files running in parallel) would otherwise stop or kill each other's units. The
# cgroups are removed at the end, with anything a killed manager left in them. Where cgroups cannot
# be created (a read-only cgroupfs), sessions are serialised with a lock file instead.
# Needs: root (or unprivileged user+mount namespaces), unshare, /lib/systemd/systemd, systemctl.
set -euo pipefail

if [ "${KEYROT_SYSTEMD_SESSION_INNER:-}" != "1" ]; then
  exec unshare -m --propagation private env KEYROT_SYSTEMD_SESSION_INNER=1 bash "$0" "$@"
fi
unset KEYROT_SYSTEMD_SESSION_INNER

# Moves this shell (and so the manager and COMMAND) into a new cgroup in every hierarchy systemd
# tracks processes with: name=systemd and the unified one (hybrid layout), or the cgroup2 root.
created_cgroups=()
home_cgroups=()
join_cgroup() { # join_cgroup HIERARCHY_ROOT CURRENT_PATH
  local dir="$1${2%/}/keyrot-session-$$"
  mkdir "$dir" 2>/dev/null || return 1
  created_cgroups+=("$dir")
  home_cgroups+=("$1$2")
  echo $$ >"$dir/cgroup.procs" 2>/dev/null
}
isolate_cgroup() {
  local v2 v1
  v2=$(sed -n 's/^0:://p' /proc/self/cgroup)
  v1=$(sed -n 's/^[0-9]*:name=systemd://p' /proc/self/cgroup)
  if [ -n "$v1" ] && [ -d /sys/fs/cgroup/systemd ]; then
    join_cgroup /sys/fs/cgroup/systemd "$v1" || return 1
    if [ -n "$v2" ] && [ -d /sys/fs/cgroup/unified ]; then join_cgroup /sys/fs/cgroup/unified "$v2" || return 1; fi
  elif [ -n "$v2" ] && [ -f /sys/fs/cgroup/cgroup.procs ]; then
    join_cgroup /sys/fs/cgroup "$v2" || return 1
  else
    return 1
  fi
}
# Moves this shell back, ends whatever is left in the session's cgroups, removes them deepest first.
leave_cgroups() {
  local i dir
  for i in "${!created_cgroups[@]}"; do
    echo $$ >"${home_cgroups[$i]}/cgroup.procs" 2>/dev/null || true
  done
  for dir in "${created_cgroups[@]}"; do
    find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | grep -vx "$$" | xargs -r kill -9 2>/dev/null || true
  done
  for dir in "${created_cgroups[@]}"; do
    for _ in $(seq 1 50); do
      find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ -d "$dir" ] || break
      sleep 0.1
    done
  done
}
if ! isolate_cgroup; then
  echo "systemd-session: cannot create a cgroup of its own; running one session at a time instead" >&2
  leave_cgroups
  created_cgroups=() home_cgroups=()
  exec 9>"${TMPDIR:-/tmp}/keyrot-systemd-session.lock"
  flock -w 600 9
fi
trap leave_cgroups EXIT

mkdir -p /run/systemd
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir -p /run/systemd/system
XDG_RUNTIME_DIR=$(mktemp -d -t keyrot-systemd.XXXXXX)
chmod 0700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR

/lib/systemd/systemd --user --log-target=console --log-level=info >"$XDG_RUNTIME_DIR/systemd.log" 2>&1 &
manager=$!
stop_manager() {
  kill "$manager" 2>/dev/null || true
  # The manager stops its units on SIGTERM; give it time (a loaded machine is slow), then make sure.
  local until=$((SECONDS + 20))
  while [ "$SECONDS" -lt "$until" ] && kill -0 "$manager" 2>/dev/null; do sleep 0.1; done
  kill -9 "$manager" 2>/dev/null || true
  wait "$manager" 2>/dev/null || true
  leave_cgroups
  # Keep the runtime dir (and its systemd.log) when asked, for debugging a failed test.
  [ -n "${KEYROT_SYSTEMD_KEEP_RUNTIME:-}" ] || rm -rf "$XDG_RUNTIME_DIR"
}
trap stop_manager EXIT

state=""
# Generous: on a loaded 2-core machine the manager can take well over a minute to come up.
deadline=$((SECONDS + ${KEYROT_SYSTEMD_START_TIMEOUT:-180}))
while [ "$SECONDS" -lt "$deadline" ]; do
  state=$(systemctl --user is-system-running 2>/dev/null || true)
  case "$state" in running | degraded) break ;; esac
  if ! kill -0 "$manager" 2>/dev/null; then
    echo "systemd-session: systemd --user exited during start-up:" >&2
    cat "$XDG_RUNTIME_DIR/systemd.log" >&2
    exit 1
  fi
  sleep 0.1
done
case "$state" in
  running | degraded) ;;
  *)
    echo "systemd-session: systemd --user did not come up (state: ${state:-none})" >&2
    tail -n 20 "$XDG_RUNTIME_DIR/systemd.log" >&2
    exit 1
    ;;
esac

status=0
"$@" || status=$?
exit "$status"
