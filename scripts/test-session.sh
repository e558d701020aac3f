#!/usr/bin/env bash
# Runs a command (the test suite) inside a private desktop session when the real parts are installed:
# a private D-Bus session bus, an unlocked gnome-keyring (Secret Service), and Xvfb with dunst as the
# notification daemon. Suites detect what is there through KEYROT_TEST_* variables and skip (or fail
# under CI=true) when a part is missing. Nothing here touches the developer's own keyring or desktop.
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
  if command -v Xvfb >/dev/null && command -v dunst >/dev/null; then
    display=:$((90 + RANDOM % 400))
    Xvfb "$display" -nolisten tcp -screen 0 1024x768x24 >"$work/xvfb.log" 2>&1 &
    for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
    export DISPLAY=$display
    dunst >"$work/dunst.log" 2>&1 &
    for _ in $(seq 1 50); do
      dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
        string:org.freedesktop.Notifications 2>/dev/null | grep -q 'boolean true' && break
      sleep 0.1
    done
    export KEYROT_TEST_NOTIFICATIONS=1
  fi
  # Not exec: the display and notification daemons started above must stop when the command does.
  status=0
  "$@" || status=$?
  kill $(jobs -p) 2>/dev/null || true
  exit $status
fi

root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/node_modules/.bin:$PATH"
if command -v dbus-run-session >/dev/null; then
  KEYROT_TEST_SESSION_DIR=$(mktemp -d -t keyrot-session.XXXXXX)
  mkdir -p "$KEYROT_TEST_SESSION_DIR/keyring-home"
  export KEYROT_TEST_SESSION_DIR KEYROT_TEST_SESSION=1
  trap 'rm -rf "$KEYROT_TEST_SESSION_DIR"' EXIT
  # A private runtime dir so gnome-keyring's control socket never collides with a real desktop's.
  XDG_RUNTIME_DIR=$(mktemp -d -t keyrot-runtime.XXXXXX)
  export XDG_RUNTIME_DIR
  status=0
  dbus-run-session -- bash "$0" "$@" || status=$?
  rm -rf "$XDG_RUNTIME_DIR"
  exit $status
fi
echo "test-session: dbus-run-session not found; real-part suites will skip (they fail under CI=true)" >&2
exec "$@"
