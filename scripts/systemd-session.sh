#!/usr/bin/env bash
# Runs a command beside a private, real `systemd --user` (DESIGN.md section 7), then stops it.
#
#   HOME=$(mktemp -d) scripts/systemd-session.sh COMMAND [ARGS...]
#
# Inside a private mount namespace a tmpfs covers /run/systemd, so the user manager starts even where
# PID 1 is not systemd (containers, CI), and nothing leaks into the machine's own /run/systemd. It
# gets a fresh XDG_RUNTIME_DIR (exported to COMMAND), and uses the caller's HOME: point HOME at a
# throwaway directory, since units are installed under $HOME/.config/systemd/user. Other variables
# (D-Bus session bus, keyring, DISPLAY) pass through to the manager and so to the units it starts.
# The manager's own log is $XDG_RUNTIME_DIR/systemd.log; the exit status is COMMAND's.
# Needs: root (or unprivileged user+mount namespaces), unshare, /lib/systemd/systemd, systemctl.
set -euo pipefail

if [ "${KEYROT_SYSTEMD_SESSION_INNER:-}" != "1" ]; then
  exec unshare -m --propagation private env KEYROT_SYSTEMD_SESSION_INNER=1 bash "$0" "$@"
fi
unset KEYROT_SYSTEMD_SESSION_INNER

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
  # The manager stops its units on SIGTERM; give it a moment, then make sure.
  for _ in $(seq 1 50); do kill -0 "$manager" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$manager" 2>/dev/null || true
  wait "$manager" 2>/dev/null || true
  # Keep the runtime dir (and its systemd.log) when asked, for debugging a failed test.
  [ -n "${KEYROT_SYSTEMD_KEEP_RUNTIME:-}" ] || rm -rf "$XDG_RUNTIME_DIR"
}
trap stop_manager EXIT

state=""
for _ in $(seq 1 200); do
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
