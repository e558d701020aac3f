#!/usr/bin/env bash
# Runs a command (the test suite) inside a private desktop session when the real parts are installed:
# a private D-Bus session bus, an unlocked gnome-keyring (Secret Service), and Xvfb with dunst (or
# xfce4-notifyd with KEYROT_TEST_NOTIFY_DAEMON=xfce4-notifyd) as the notification daemon. Suites detect
# what is there through KEYROT_TEST_* variables and skip (or fail under CI=true) when a part is missing.
# Nothing here touches the developer's own keyring or desktop.
set -euo pipefail

if [ "${KEYROT_TEST_SESSION:-}" = "1" ]; then
  # Inside the private bus: start the keyring and the notification daemon, then run the command.
  work=$KEYROT_TEST_SESSION_DIR
  if command -v gnome-keyring-daemon >/dev/null; then
    # The keyring daemon keeps its files under its own throwaway HOME, never the developer's.
    eval "$(printf %s keyrot-test | HOME=$work/keyring-home gnome-keyring-daemon --unlock --components=secrets)"
    eval "$(HOME=$work/keyring-home gnome-keyring-daemon --start --components=secrets)"
    export GNOME_KEYRING_CONTROL
    export KEYROT_TEST_SECRET_SERVICE=1
    # Where it keeps them, so tests can see when it writes (it rewrites its keyring file on every change).
    export KEYROT_TEST_KEYRING_DIR=$work/keyring-home/.local/share/keyrings
  fi
  # The notification daemon: dunst, or KEYROT_TEST_NOTIFY_DAEMON=xfce4-notifyd to show that keyrot's
  # notifications and tray are not tuned to one daemon.
  notify_daemon=${KEYROT_TEST_NOTIFY_DAEMON:-dunst}
  notify_cmd=()
  case $notify_daemon in
    dunst) command -v dunst >/dev/null && notify_cmd=(dunst) ;;
    xfce4-notifyd)
      notifyd=$(ls /usr/lib/*/xfce4/notifyd/xfce4-notifyd 2>/dev/null | head -n1)
      xfconfd=$(ls /usr/lib/*/xfce4/xfconf/xfconfd 2>/dev/null | head -n1)
      [ -n "$notifyd" ] && [ -n "$xfconfd" ] && notify_cmd=("$notifyd") ;;
  esac
  wait_for_name() {
    for _ in $(seq 1 100); do
      dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
        "string:$1" 2>/dev/null | grep -q 'boolean true' && return 0
      sleep 0.1
    done
    return 1
  }
  if command -v Xvfb >/dev/null && [ ${#notify_cmd[@]} -gt 0 ]; then
    display=:$((90 + RANDOM % 400))
    Xvfb "$display" -nolisten tcp -screen 0 1024x768x24 >"$work/xvfb.log" 2>&1 &
    for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
    export DISPLAY=$display
    if [ "$notify_daemon" = xfce4-notifyd ]; then
      # Its settings daemon started by hand, with a throwaway HOME: D-Bus activation would use the real one.
      mkdir -p "$work/xfce-home"
      HOME=$work/xfce-home XDG_CONFIG_HOME=$work/xfce-home/.config XDG_CACHE_HOME=$work/xfce-home/.cache \
        XDG_DATA_HOME=$work/xfce-home/.local/share NO_AT_BRIDGE=1 "$xfconfd" >"$work/xfconfd.log" 2>&1 &
      wait_for_name org.xfce.Xfconf || true
      HOME=$work/xfce-home XDG_CONFIG_HOME=$work/xfce-home/.config XDG_CACHE_HOME=$work/xfce-home/.cache \
        XDG_DATA_HOME=$work/xfce-home/.local/share NO_AT_BRIDGE=1 "${notify_cmd[@]}" >"$work/notifyd.log" 2>&1 &
    else
      "${notify_cmd[@]}" >"$work/dunst.log" 2>&1 &
    fi
    if wait_for_name org.freedesktop.Notifications; then
      export KEYROT_TEST_NOTIFICATIONS=1 KEYROT_TEST_NOTIFY_DAEMON=$notify_daemon
    fi
  fi
  # Not exec: the display and notification daemons started above must stop when the command does
  # (gnome-keyring leaves with the session bus, which dbus-run-session ends).
  status=0
  "$@" || status=$?
  kill $(jobs -p) 2>/dev/null || true
  wait || true
  exit $status
fi

root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/node_modules/.bin:$PATH"
if command -v dbus-run-session >/dev/null; then
  # The session's own directories, removed however the run ends. What the tests leave in the temp dir
  # is not in them: the suite's leftover check (test/support/leftover-check.ts) looks at that.
  KEYROT_TEST_SESSION_DIR=$(mktemp -d -t keyrot-session.XXXXXX)
  # A private runtime dir so gnome-keyring's control socket never collides with a real desktop's.
  XDG_RUNTIME_DIR=$(mktemp -d -t keyrot-runtime.XXXXXX)
  trap 'rm -rf "$KEYROT_TEST_SESSION_DIR" "$XDG_RUNTIME_DIR"' EXIT
  mkdir -p "$KEYROT_TEST_SESSION_DIR/keyring-home"
  export KEYROT_TEST_SESSION_DIR KEYROT_TEST_SESSION=1 XDG_RUNTIME_DIR
  status=0
  dbus-run-session -- bash "$0" "$@" || status=$?
  exit $status
fi
echo "test-session: dbus-run-session not found; real-part suites will skip (they fail under CI=true)" >&2
exec "$@"
