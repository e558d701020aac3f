// The installed service's daemon under a real `systemd --user` (scripts/systemd-session.sh, owned by
// the service engineer): `keyrot service install` starts it, it rotates a due key against the
// emulator (real SDK, real Secret Service, a real notification), and after `systemctl --user kill -s
// KILL keyrot` systemd restarts it and the new daemon records its check and the next one.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { daemonLockPath } from '../../src/daemon/instance-lock.js';
import { maskKeyId } from '../../src/errors/redact.js';
import { namedLockPath } from '../../src/lock/index.js';
import { parseDaemonState } from '../../src/state/state-schema.js';
import { createDaemonWorld, type DaemonWorld } from '../support/daemon-world.js';
import { monitorNotifications, type NotifyMonitor } from '../support/notify-monitor.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH, runCommand } from '../support/run-cli.js';
import { leakedSecrets } from '../support/world.js';

const SCRIPT = path.resolve('scripts/systemd-session.sh');
const describeReal = describeWith('systemdUser', 'secretService', 'notifications', 'dbusMonitor');

// Runs inside the session; prints key=value lines. $STATE is the daemon's state file.
const INNER = `
set -u
main_pid() { systemctl --user show -p MainPID --value keyrot.service; }
wait_for() { # wait_for SECONDS COMMAND...: poll until COMMAND succeeds (wall-clock bound)
  local until=$(( SECONDS + $1 )); shift
  while [ "$SECONDS" -lt "$until" ]; do "$@" && return 0; sleep 0.1; done
  return 1
}
# What a desktop session does at login (dbus-update-activation-environment --systemd): units reach
# the session bus, hence the Secret Service and the notification daemon.
systemctl --user import-environment DBUS_SESSION_BUS_ADDRESS DISPLAY
# Lock files a crash before a reboot left behind, naming pids that are alive now: an unrelated process
# and pid 1. The service must start and rotate all the same.
sleep 600 & stale=$!
manual=
trap 'kill $stale $manual 2>/dev/null' EXIT
mkdir -p "$(dirname "$DAEMON_LOCK")" "$(dirname "$ROTATE_LOCK")"
printf '{"pid":%d,"purpose":"keyrot daemon","since":"2020-01-01T00:00:00.000Z"}' "$stale" >"$DAEMON_LOCK"
printf '{"pid":1,"purpose":"keyrot daemon","since":"2020-01-01T00:00:00.000Z"}' >"$ROTATE_LOCK"
node "$CLI" service install >"$HOME/install.out" 2>&1; echo "install_rc=$?"
wait_for 150 grep -q '"outcome": "rotated"' "$STATE"; echo "rotated_rc=$?"
pid1=$(main_pid); echo "pid1=$pid1"
wait_for 60 grep -q "\\"pid\\": $pid1," "$STATE"; echo "pid1_recorded_rc=$?"
# The rotation records its outcome before the pass records lastCheck: wait for the pass to end.
wait_for 60 grep -q '"lastCheck": "' "$STATE"; echo "pass_recorded_rc=$?"
cp "$STATE" "$HOME/state-before-kill.json"
systemctl --user kill -s KILL keyrot
restarted() { p=$(main_pid); [ "$p" != 0 ] && [ "$p" != "$pid1" ] && [ "$(systemctl --user is-active keyrot.service)" = active ]; }
wait_for 60 restarted; echo "restarted_rc=$?"
pid2=$(main_pid); echo "pid2=$pid2"
echo "restarts=$(systemctl --user show -p NRestarts --value keyrot.service)"
wait_for 60 grep -q "\\"pid\\": $pid2," "$STATE"; echo "pid2_recorded_rc=$?"
wait_for 60 grep -q '"nextCheck": "' "$STATE"; echo "next_check_rc=$?"
sleep 0.5
cp "$STATE" "$HOME/state-after-restart.json"
# A daemon a person starts by hand while the service is stopped: the service's daemon, started then,
# stands by (no exit 4, no restart loop) and takes over once the hand-started one stops.
systemctl --user stop keyrot
node "$CLI" daemon >"$HOME/manual.out" 2>&1 & manual=$!
wait_for 60 grep -q "\\"pid\\": $manual," "$STATE"; echo "manual_recorded_rc=$?"
systemctl --user start keyrot
pid3=$(main_pid); restarts_before=$(systemctl --user show -p NRestarts --value keyrot.service)
sleep 3
echo "standby_active=$(systemctl --user is-active keyrot.service)"
[ "$(main_pid)" = "$pid3" ] && [ "$(systemctl --user show -p NRestarts --value keyrot.service)" = "$restarts_before" ]; echo "standby_same_process_rc=$?"
echo "standby_pids=$pid3,$(main_pid) restarts=$restarts_before,$(systemctl --user show -p NRestarts --value keyrot.service)"
grep -q "\\"pid\\": $manual," "$STATE"; echo "manual_still_recorded_rc=$?"
kill -TERM "$manual"; wait "$manual"; echo "manual_rc=$?"
wait_for 60 grep -q "\\"pid\\": $pid3," "$STATE"; echo "pid3_recorded_rc=$?"
kill "$stale"
node "$CLI" service uninstall >"$HOME/uninstall.out" 2>&1; echo "uninstall_rc=$?"
if kill -0 "$pid3" 2>/dev/null; then echo "last_alive=yes"; else echo "last_alive=no"; fi
`;

describeReal('the installed daemon under a real systemd --user', () => {
  let world: DaemonWorld | undefined;
  let monitor: NotifyMonitor | undefined;
  afterEach(async () => {
    await monitor?.stop();
    await world?.close();
  });

  it('rotates a due key, comes back after SIGKILL and records its next check', async () => {
    world = await createDaemonWorld({ keyAgeDays: 100 });
    const old = await world.currentKey('dev');
    monitor = await monitorNotifications();
    const stateFile = path.join(world.stateDir, 'state.json');
    const env: NodeJS.ProcessEnv = {
      ...world.env,
      CLI: CLI_PATH,
      STATE: stateFile,
      DAEMON_LOCK: daemonLockPath(world.stateDir),
      ROTATE_LOCK: namedLockPath(path.join(world.stateDir, 'locks'), 'key', old.accessKeyId),
    };
    if (process.env.GNOME_KEYRING_CONTROL) env.GNOME_KEYRING_CONTROL = process.env.GNOME_KEYRING_CONTROL;
    if (process.env.CI) env.CI = process.env.CI;

    // The script runs its user manager in a cgroup of its own, so the service tests' session beside
    // this one cannot stop or kill our daemon. Asynchronously: the emulator answers from this process.
    const result = await runCommand('bash', [SCRIPT, 'bash', '-c', INNER], { env, timeoutMs: 480_000 });
    const out = Object.fromEntries(
      result.stdout
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}\ninstall:\n${readOr(path.join(world.home, 'install.out'))}\nlog:\n${readOr(world.logFile)}`;
    expect(out.install_rc, context).toBe('0');
    expect(out.rotated_rc, context).toBe('0');
    expect(out.pid1_recorded_rc, context).toBe('0');
    expect(out.pass_recorded_rc, context).toBe('0');
    expect(out.restarted_rc, context).toBe('0');
    expect(Number(out.restarts)).toBeGreaterThanOrEqual(1);
    expect(out.pid2_recorded_rc, context).toBe('0');
    expect(out.next_check_rc, context).toBe('0');
    expect(out.manual_recorded_rc, context).toBe('0');
    expect(out.standby_active, context).toBe('active');
    expect(out.standby_same_process_rc, context).toBe('0');
    expect(out.manual_still_recorded_rc, context).toBe('0');
    expect(out.manual_rc, context).toBe('0');
    expect(out.pid3_recorded_rc, context).toBe('0');
    expect(out.uninstall_rc, context).toBe('0');
    expect(out.last_alive).toBe('no');

    // The unit's daemon rotated the key: the file holds a new one, IAM has the old one deactivated.
    const now = await world.currentKey('dev');
    expect(now.accessKeyId).not.toBe(old.accessKeyId);
    const keys = world.emulator.admin.keys('alice');
    expect(keys.find((k) => k.accessKeyId === old.accessKeyId)?.status).toBe('Inactive');
    expect(keys.find((k) => k.accessKeyId === now.accessKeyId)?.status).toBe('Active');
    await monitor.waitFor(
      `Rotated key for profile dev (${maskKeyId(old.accessKeyId)} → ${maskKeyId(now.accessKeyId)}); old key deactivated`,
    );

    // The restarted daemon checked again (the key is young now) and planned its next check.
    const before = parseDaemonState(
      JSON.parse(readFileSync(path.join(world.home, 'state-before-kill.json'), 'utf8')),
    );
    const after = parseDaemonState(
      JSON.parse(readFileSync(path.join(world.home, 'state-after-restart.json'), 'utf8')),
    );
    expect(before.pid).toBe(Number(out.pid1));
    expect(after.pid).toBe(Number(out.pid2));
    expect(Date.parse(after.lastCheck!)).toBeGreaterThan(Date.parse(before.lastCheck!));
    expect(Date.parse(after.nextCheck!)).toBeGreaterThan(Date.parse(after.lastCheck!));
    expect(Date.parse(after.nextCheck!) - Date.parse(after.lastCheck!)).toBeLessThanOrEqual(3_600_000);
    expect(after.profiles.dev).toMatchObject({ keyId: maskKeyId(now.accessKeyId), ageDays: 0 });
    expect(after.profiles.dev?.lastResult?.outcome).toBe('not-due');

    const everything = [readOr(world.logFile), monitor.text(), result.stdout, result.stderr].join('\n');
    expect(leakedSecrets(everything, world.secrets)).toEqual([]);
  }, 500_000);
});

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '(none)';
  }
}
