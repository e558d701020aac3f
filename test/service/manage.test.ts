// install/uninstall/status logic with a recording command runner (the service managers of other OSes
// cannot run here; the real systemd path is covered by systemd-session.test.ts).
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors/keyrot-error.js';
import {
  describeStep,
  installSteps,
  parseTaskXml,
  runSteps,
  uninstallSteps,
  unitStatuses,
} from '../../src/service/manage.js';
import { planService } from '../../src/service/render.js';
import type { CommandRunner, RunResult } from '../../src/service/runner.js';
import { type ServicePlatform, serviceSpec } from '../../src/service/spec.js';
import { loadTemplates } from '../../src/service/templates.js';
import { tempDir } from '../support/cleanup.js';

let home: string;
beforeEach(async () => {
  home = await tempDir('manage');
});

function plan(platform: ServicePlatform, options: { withTray?: boolean; nodePath?: string } = {}) {
  return planService(
    serviceSpec({
      platform,
      env: { HOME: home, PATH: '/usr/bin' },
      globals: {},
      nodePath: options.nodePath ?? '/usr/bin/node',
      entryPath: '/opt/keyrot/dist/cli.js',
      cwd: home,
      withTray: options.withTray ?? false,
      uid: 501,
      userName: 'ann',
    }),
    loadTemplates(),
  );
}

/** Records every command; answers from `answers` (by command line prefix), else success. */
function recorder(answers: Record<string, Partial<RunResult>> = {}): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = async (command: string, args: string[]): Promise<RunResult> => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    const match = Object.entries(answers).find(([prefix]) => line.startsWith(prefix));
    return { code: 0, stdout: '', stderr: '', ...match?.[1] };
  };
  return Object.assign(run, { calls });
}

describe('install and uninstall on Linux (systemd)', () => {
  it('writes the unit 0600 in a 0700 dir, reloads, enables and starts; a repeat changes nothing', async () => {
    const linux = plan('linux');
    const run = recorder();
    await runSteps(linux, installSteps(linux), { run });
    const unitFile = path.join(home, '.config/systemd/user/keyrot.service');
    expect((await stat(unitFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(unitFile))).mode & 0o777).toBe(0o700);
    expect(await readFile(unitFile, 'utf8')).toBe(linux.units[0]?.content);
    expect(run.calls).toEqual([
      'systemctl --user daemon-reload',
      'systemctl --user enable --now keyrot.service',
    ]);

    const again = recorder();
    await runSteps(linux, installSteps(linux), { run: again });
    expect(again.calls).toEqual(run.calls);
  });

  it('restarts a running daemon when the unit changed (a new node path after an upgrade)', async () => {
    await runSteps(plan('linux'), installSteps(plan('linux')), { run: recorder() });
    const upgraded = plan('linux', { nodePath: '/usr/local/bin/node' });
    const run = recorder();
    await runSteps(upgraded, installSteps(upgraded), { run });
    expect(run.calls).toContain('systemctl --user restart keyrot.service');
    expect(await readFile(path.join(home, '.config/systemd/user/keyrot.service'), 'utf8')).toContain(
      '"/usr/local/bin/node"',
    );
  });

  it('enables the tray, and starts it only inside a graphical session', async () => {
    const withTray = plan('linux', { withTray: true });
    const headless = recorder({ 'systemctl --user is-active --quiet graphical-session.target': { code: 3 } });
    await runSteps(withTray, installSteps(withTray), { run: headless });
    expect(headless.calls).toContain('systemctl --user enable keyrot-tray.service');
    expect(headless.calls).not.toContain('systemctl --user restart keyrot-tray.service');
    const desktop = recorder();
    await runSteps(withTray, installSteps(withTray), { run: desktop });
    expect(desktop.calls).toContain('systemctl --user restart keyrot-tray.service');
  });

  it('stops with SERVICE_FAILED and systemctl’s own words when a step fails', async () => {
    const linux = plan('linux');
    const run = recorder({
      'systemctl --user daemon-reload': { code: 1, stderr: 'Failed to connect to bus: No medium found' },
    });
    const error = await runSteps(linux, installSteps(linux), { run }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyrotError);
    expect((error as KeyrotError).code).toBe('SERVICE_FAILED');
    expect((error as KeyrotError).message).toContain('Failed to connect to bus');
    expect((error as KeyrotError).hint).toContain('loginctl enable-linger');
    expect(run.calls).toEqual(['systemctl --user daemon-reload']);
  });

  it('uninstall disables, removes the files and ignores what is already gone; twice is fine', async () => {
    const linux = plan('linux', { withTray: true });
    await runSteps(linux, installSteps(linux), { run: recorder() });
    for (let i = 0; i < 2; i++) {
      const run = recorder({
        'systemctl --user disable': { code: 1 },
        'systemctl --user reset-failed': { code: 1 },
      });
      await runSteps(linux, uninstallSteps(linux), { run });
      expect(run.calls).toEqual([
        'systemctl --user disable --now keyrot.service',
        'systemctl --user disable --now keyrot-tray.service',
        'systemctl --user daemon-reload',
        'systemctl --user reset-failed keyrot.service',
        'systemctl --user reset-failed keyrot-tray.service',
      ]);
      expect(await readdir(path.join(home, '.config/systemd/user'))).toEqual([]);
    }
  });

  it('reports installed, enabled and running from systemctl', async () => {
    const linux = plan('linux');
    await runSteps(linux, installSteps(linux), { run: recorder() });
    const run = recorder({
      'systemctl --user is-enabled': { stdout: 'enabled\n' },
      'systemctl --user is-active': { code: 3, stdout: 'failed\n' },
    });
    expect(await unitStatuses(linux, { run })).toEqual([
      {
        kind: 'daemon',
        name: 'keyrot.service',
        file: path.join(home, '.config/systemd/user/keyrot.service'),
        installed: true,
        enabled: true,
        running: false,
        detail: 'enabled, failed',
      },
    ]);
  });
});

describe('install on macOS (launchd) and Windows (Task Scheduler), commands recorded', () => {
  it('bootstraps the agent in gui/UID after booting out an old one, and creates the log dir', async () => {
    const mac = plan('darwin');
    const run = recorder({ 'launchctl bootout': { code: 3, stderr: 'Boot-out failed: 3: No such process' } });
    await runSteps(mac, installSteps(mac), { run });
    const file = path.join(home, 'Library/LaunchAgents/io.keyrot.daemon.plist');
    expect(run.calls).toEqual([
      'launchctl bootout gui/501/io.keyrot.daemon',
      'launchctl enable gui/501/io.keyrot.daemon',
      `launchctl bootstrap gui/501 ${file}`,
    ]);
    expect((await stat(path.join(home, 'Library/Logs/keyrot'))).mode & 0o777).toBe(0o700);
    const status = await unitStatuses(mac, {
      run: recorder({ 'launchctl print': { stdout: '\tstate = running\n\tpid = 4242\n' } }),
    });
    expect(status[0]).toMatchObject({
      installed: true,
      enabled: true,
      running: true,
      detail: 'running, pid 4242',
    });
  });

  it('retries a bootstrap that races the bootout before it', async () => {
    const mac = plan('darwin');
    let failures = 2;
    const calls: string[] = [];
    const run: CommandRunner = async (_command, args) => {
      calls.push(args[0] ?? '');
      if (args[0] === 'bootstrap' && failures-- > 0)
        return { code: 5, stdout: '', stderr: 'Bootstrap failed: 5: Input/output error' };
      return { code: 0, stdout: '', stderr: '' };
    };
    await runSteps(mac, installSteps(mac), { run, sleep: async () => {} });
    expect(calls).toEqual(['bootout', 'enable', 'bootstrap', 'bootstrap', 'bootstrap']);
  });

  it("registers keyrot's notification application id before the task, a failure of it ignored", () => {
    const windows = planService(
      serviceSpec({
        platform: 'win32',
        env: { USERPROFILE: 'C:\\Users\\ann', PATH: '' },
        globals: {},
        nodePath: 'C:\\node\\node.exe',
        entryPath: 'C:\\keyrot\\dist\\cli.js',
        cwd: 'C:\\',
        withTray: false,
        uid: 0,
        userName: 'ann',
        appIdRegistration: {
          command: 'C:\\n\\snoretoast-x64.exe',
          args: ['-install', 'keyrot', 'C:\\n\\snoretoast-x64.exe', 'io.keyrot'],
        },
      }),
      loadTemplates(),
    );
    expect(installSteps(windows).map(describeStep).slice(-4)).toEqual([
      'run C:\\n\\snoretoast-x64.exe -install keyrot C:\\n\\snoretoast-x64.exe io.keyrot   # failure ignored',
      'run schtasks /End /TN keyrot   # failure ignored',
      `run schtasks /Create /TN keyrot /XML ${windows.units[0]?.file} /F`,
      'run schtasks /Run /TN keyrot',
    ]);
  });

  it('registers the task from its XML with /F (idempotent) and runs it', () => {
    const windows = plan('win32');
    expect(installSteps(windows).map(describeStep).slice(-3)).toEqual([
      'run schtasks /End /TN keyrot   # failure ignored',
      `run schtasks /Create /TN keyrot /XML ${windows.units[0]?.file} /F`,
      'run schtasks /Run /TN keyrot',
    ]);
    expect(uninstallSteps(windows).map(describeStep)).toEqual([
      'run schtasks /End /TN keyrot   # failure ignored',
      'run schtasks /Delete /TN keyrot /F   # failure ignored',
      `remove ${windows.units[0]?.file}`,
    ]);
  });
});

describe('service status on Windows reads the task as XML, the same in every display language', () => {
  const fixture = (name: string) => readFileSync(path.join('test/fixtures/schtasks', name), 'utf8');
  /** A German Windows: LIST output translated, XML not. */
  const germanSchtasks = (xml: string) =>
    recorder({
      'schtasks /Query /TN keyrot /FO LIST': { stdout: fixture('de-DE-query-list.txt') },
      'schtasks /Query /TN keyrot /XML': { stdout: xml },
    });

  it('reports a registered, enabled task as running when the daemon holds its lock', async () => {
    const windows = plan('win32');
    const run = germanSchtasks(fixture('query-xml-enabled.xml'));
    const status = await unitStatuses(windows, { run, isRunning: async (kind) => kind === 'daemon' });
    expect(run.calls).toEqual(['schtasks /Query /TN keyrot /XML']);
    expect(status[0]).toMatchObject({ enabled: true, running: true, detail: 'registered, enabled, running' });
    // The English labels the LIST format was read by are not there on a German Windows.
    expect(fixture('de-DE-query-list.txt')).not.toMatch(
      /^(Scheduled Task State|Status):\s*(Running|Ready|Disabled)/m,
    );
  });

  it('reports a disabled task as disabled, and an unregistered one as such', async () => {
    const windows = plan('win32');
    const disabled = await unitStatuses(windows, {
      run: germanSchtasks(fixture('query-xml-disabled.xml')),
      isRunning: async () => false,
    });
    expect(disabled[0]).toMatchObject({
      enabled: false,
      running: false,
      detail: 'registered, disabled, not running',
    });
    const missing = await unitStatuses(windows, {
      run: recorder({
        schtasks: { code: 1, stderr: 'FEHLER: Das System kann die angegebene Datei nicht finden.' },
      }),
      isRunning: async () => true,
    });
    expect(missing[0]).toMatchObject({ enabled: false, running: false, detail: 'not registered' });
  });

  it('reads the XML whether schtasks printed it as UTF-8 or as UTF-16', () => {
    const utf16 = Buffer.from(`\uFEFF${fixture('query-xml-disabled.xml')}`, 'utf16le').toString('utf8');
    expect(parseTaskXml(utf16)).toEqual({ enabled: false });
    expect(parseTaskXml(fixture('query-xml-enabled.xml'))).toEqual({ enabled: true });
    expect(parseTaskXml('')).toBeNull();
    // A disabled trigger stops the task starting at logon even when the task itself is enabled.
    expect(
      parseTaskXml(
        fixture('query-xml-enabled.xml').replace(
          '<LogonTrigger>',
          '<LogonTrigger>\n<Enabled>false</Enabled>',
        ),
      ),
    ).toEqual({ enabled: false });
  });
});
