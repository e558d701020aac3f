// scripts/systemd-session.sh runs each session's `systemd --user` in a cgroup of its own. A user manager
// names its units' cgroups after the cgroup it started from, so two sessions started side by side
// (vitest runs test files in parallel) would otherwise share <cgroup>/app.slice/NAME.service, and
// stopping a unit in one session would kill the other session's unit too.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { runCommand } from '../support/run-cli.js';

const SCRIPT = path.resolve('scripts/systemd-session.sh');
const describeSystemd = describeWith('systemdUser');

// Both sessions start a unit of the same name; session A stops its own while B's still runs.
// $ME and $PEER name the sessions; $SYNC is a directory both see, for the hand-shake.
const INNER = `
set -u
wait_for() { # wait_for FILE: up to 3 minutes (a loaded machine is slow)
  local until=$((SECONDS + 180)); while [ ! -e "$1" ]; do [ "$SECONDS" -lt "$until" ] || return 1; sleep 0.1; done
}
echo "cgroup=$(sed -n 's/^0:://p' /proc/self/cgroup)"
systemd-run --user --unit=keyrot-same-name sleep 600 >/dev/null 2>&1; echo "run_rc=$?"
pid=$(systemctl --user show -p MainPID --value keyrot-same-name.service); echo "pid=$pid"
touch "$SYNC/$ME-started"
wait_for "$SYNC/$PEER-started"; echo "peer_started_rc=$?"
if [ "$ME" = a ]; then
  systemctl --user stop keyrot-same-name.service; echo "stop_rc=$?"
  touch "$SYNC/a-stopped"
  wait_for "$SYNC/b-checked"
else
  wait_for "$SYNC/a-stopped"; echo "a_stopped_rc=$?"
  sleep 1
  echo "active=$(systemctl --user is-active keyrot-same-name.service)"
  if kill -0 "$pid" 2>/dev/null; then echo "alive=yes"; else echo "alive=no"; fi
  touch "$SYNC/b-checked"
fi
`;

let root: string;
beforeAll(async () => {
  root = await tempDir('systemd-iso');
});

/** Runs one session to its end; its stdout's key=value lines as an object, plus the raw output. */
async function session(
  me: string,
  peer: string,
): Promise<{ values: Record<string, string>; output: string }> {
  const env = {
    PATH: process.env.PATH,
    HOME: path.join(root, me),
    SYNC: root,
    ME: me,
    PEER: peer,
  };
  const { code, stdout, stderr } = await runCommand('bash', [SCRIPT, 'bash', '-c', INNER], {
    env,
    timeoutMs: 400_000,
  });
  const values = Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => /^\w+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { values, output: `session ${me} exited ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}` };
}

describeSystemd('scripts/systemd-session.sh isolates concurrent sessions', () => {
  it("stopping a unit in one session leaves the other session's unit of the same name running; no cgroup is left behind", async () => {
    const [a, b] = await Promise.all([session('a', 'b'), session('b', 'a')]);
    const context = `${a.output}\n${b.output}`;
    expect(a.values, context).toMatchObject({ run_rc: '0', peer_started_rc: '0', stop_rc: '0' });
    expect(b.values, context).toMatchObject({ run_rc: '0', peer_started_rc: '0', a_stopped_rc: '0' });
    expect(b.values.active, context).toBe('active');
    expect(b.values.alive, context).toBe('yes');
    // Each session ran in its own cgroup, and the script removed it (with B's unit still in it) at the end.
    expect(a.values.cgroup, context).toContain('/keyrot-session-');
    expect(b.values.cgroup, context).toContain('/keyrot-session-');
    const sessionDir = (cgroup: string) =>
      cgroup.slice(0, cgroup.indexOf('/', cgroup.indexOf('/keyrot-session-') + 1));
    expect(sessionDir(a.values.cgroup!)).not.toBe(sessionDir(b.values.cgroup!));
    for (const cgroup of [a.values.cgroup!, b.values.cgroup!]) {
      const dir = sessionDir(cgroup);
      const roots = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd'];
      for (const hierarchy of roots)
        expect(existsSync(`${hierarchy}${dir}`), `${hierarchy}${dir}`).toBe(false);
    }
    // B's sleep was ended with its session.
    expect(b.values.pid).toMatch(/^[1-9]\d*$/);
    let alive = true;
    try {
      process.kill(Number(b.values.pid), 0);
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
  }, 420_000);
});
