// `keyrot service install | status | uninstall` through the built CLI against a real `systemd --user`
// (scripts/systemd-session.sh): the unit is enabled and active, a SIGKILL brings it back, a second
// install is a no-op, and uninstall leaves no unit, link or process behind.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { CLI_PATH } from '../support/run-cli.js';

const SCRIPT = path.resolve('scripts/systemd-session.sh');

// Runs inside the session; prints key=value lines for the test to check.
const INNER = `
set -u
cli() { node "$CLI" "$@"; }
unit_pid() { systemctl --user show -p MainPID --value keyrot.service; }
wait_active() { # up to 90 s of wall-clock time: a loaded machine is slow to start node
  local until=$((SECONDS + 90))
  while [ "$SECONDS" -lt "$until" ]; do
    # One MainPID reading per try: two could see the old pid, then 0 while systemd waits to restart it.
    p=$(unit_pid)
    [ "$p" != 0 ] && [ "$p" != "$1" ] && [ "$(systemctl --user is-active keyrot.service)" = active ] && return 0
    sleep 0.1
  done
  return 1
}
cli service install >"$HOME/install.out" 2>&1; echo "install_rc=$?"
echo "enabled=$(systemctl --user is-enabled keyrot.service)"
wait_active none; echo "active=$(systemctl --user is-active keyrot.service)"
pid1=$(unit_pid); echo "pid1=$pid1"
cli service install >/dev/null 2>&1; echo "reinstall_rc=$?"
echo "pid_after_reinstall=$(unit_pid)"
cli service status >"$HOME/status.out" 2>&1; echo "status_rc=$?"
systemctl --user kill -s KILL keyrot
wait_active "$pid1"; echo "restarted_rc=$?"
pid2=$(unit_pid); echo "pid2=$pid2"
echo "restarts=$(systemctl --user show -p NRestarts --value keyrot.service)"
cli service uninstall >"$HOME/uninstall.out" 2>&1; echo "uninstall_rc=$?"
echo "load_state=$(systemctl --user show -p LoadState --value keyrot.service)"
echo "main_pid_after=$(unit_pid)"
if kill -0 "$pid2" 2>/dev/null; then echo "pid2_alive=yes"; else echo "pid2_alive=no"; fi
echo "leftovers=$(find "$HOME/.config/systemd" -name 'keyrot*' | wc -l)"
`;

let home: string;
beforeAll(async () => {
  home = await tempDir('systemd-home');
});

const describeSystemd = describeWith('systemdUser', 'builtCli');

describeSystemd('keyrot service with a real systemd --user', () => {
  it('installs, survives SIGKILL, reinstalls as a no-op and uninstalls without a trace', () => {
    const env: NodeJS.ProcessEnv = {};
    // Only what the session needs: nothing of the developer's AWS or keyrot setup leaks in.
    for (const name of ['PATH', 'DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'GNOME_KEYRING_CONTROL', 'CI']) {
      if (process.env[name]) env[name] = process.env[name];
    }
    Object.assign(env, {
      HOME: home,
      CLI: CLI_PATH,
      KEYROT_KEYCHAIN_SERVICE: `keyrot-test-systemd-${process.pid}`,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const result = spawnSync('bash', [SCRIPT, 'bash', '-c', INNER], {
      env,
      encoding: 'utf8',
      timeout: 400_000,
    });
    const values = Object.fromEntries(
      result.stdout
        .split('\n')
        .filter((line) => /^\w+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    expect(result.status, context).toBe(0);
    expect(values, context).toMatchObject({
      install_rc: '0',
      enabled: 'enabled',
      active: 'active',
      reinstall_rc: '0',
      status_rc: '0',
      restarted_rc: '0',
      restarts: '1',
      uninstall_rc: '0',
      load_state: 'not-found',
      main_pid_after: '0',
      pid2_alive: 'no',
      leftovers: '0',
    });
    // An unchanged reinstall does not restart the daemon.
    expect(values.pid_after_reinstall).toBe(values.pid1);
    expect(values.pid2).not.toBe(values.pid1);
    const installed = readFileSync(path.join(home, 'install.out'), 'utf8');
    expect(installed).toContain('installed keyrot.service (systemd user unit); started');
    expect(installed).toMatch(/the service will run node v\d+\.\d+\.\d+ at \//);
    const status = readFileSync(path.join(home, 'status.out'), 'utf8');
    expect(status).toContain('keyrot.service: installed yes, enabled yes, running yes (enabled, active)');
    // What the unit runs, read back from the installed file: a node that runs, and this keyrot.
    expect(status).toMatch(/✓ keyrot\.service runs node v\d+\.\d+\.\d+ \(\//);
    expect(status).toContain('✓ keyrot.service runs this keyrot (');
  }, 420_000);
});
