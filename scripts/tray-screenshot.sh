#!/usr/bin/env bash
# Takes assets/tray-screenshot.png: `keyrot tray` in a small Xvfb screen, docked in trayer (an XEmbed
# tray host; without a StatusNotifier host appindicator falls back to XEmbed), menu opened with a click.
# Needs: xvfb, trayer, xdotool, imagemagick, dbus, libayatana-appindicator3-1, and `npm run build`.
# Usage: bash scripts/tray-screenshot.sh [out.png]
set -euo pipefail

if [ "${1:-}" = "--inside" ]; then
  out=$2 work=$3
  display=:$((500 + RANDOM % 400))
  Xvfb "$display" -nolisten tcp -screen 0 420x260x24 >/dev/null 2>&1 &
  xvfb=$!
  # Whatever happens, leave no X server or helper behind.
  trap 'kill ${tray:-} ${trayer:-} ${backdrop:-} $xvfb 2>/dev/null || true' EXIT
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
  export DISPLAY=$display
  convert -size 420x260 gradient:'#5e81ac'-'#2e3440' "$work/bg.png"
  display -window root "$work/bg.png" &
  backdrop=$!
  trayer --edge top --align right --widthtype request --height 28 --transparent false --tint 0xeceff4 \
    --SetDockType true >/dev/null 2>&1 &
  trayer=$!
  sleep 1
  NO_AT_BRIDGE=1 HOME=$work KEYROT_STATE_DIR=$work/state KEYROT_CONFIG=$work/config.ini \
    node "$root/dist/cli.cjs" tray &
  tray=$!
  sleep 3
  # The icon is the tray's only child window: click its middle, then hover "Rotate now".
  read -r x y w h < <(xwininfo -root -tree | awk '/"tray_linux_release": \("systray"/ {
      split($(NF-1), s, "x"); split(s[2], p, "+"); split($NF, a, "+"); print a[2], a[3], s[1], p[1] }')
  xdotool mousemove $((x + w / 2)) $((y + h / 2)) click 1
  sleep 1
  xdotool mousemove 240 119
  sleep 1
  import -window root "$out"
  exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
export root
out=$(realpath -m "${1:-$root/assets/tray-screenshot.png}")
work=$(mktemp -d -t keyrot-shot.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/state"
at() { date -u -d "$1" +%FT%TZ; }
cat >"$work/state/state.json" <<EOF
{"version": 1, "lastCheck": "$(at '-20 min')", "nextCheck": "$(at '+40 min')", "profiles": {
  "dev": {"keyId": "AKIA…WXYZ", "ageDays": 23, "dueAt": "$(at '+67 days')",
          "lastResult": {"at": "$(at '-20 min')", "outcome": "not-due", "message": "not due"}},
  "prod": {"keyId": "AKIA…ABCD", "ageDays": 85, "dueAt": "$(at '+5 days')",
           "lastResult": {"at": "$(at '-20 min')", "outcome": "due-soon", "message": "due soon"}}}}
EOF
printf '[profile dev]\n[profile prod]\n' >"$work/config.ini"
XDG_RUNTIME_DIR=$work dbus-run-session -- bash ${KEYROT_SHOT_TRACE:+-x} "$0" --inside "$out" "$work"
# Small file for the README: 64 colours are plenty for a flat menu.
convert "$out" -strip -colors 64 "PNG8:$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
