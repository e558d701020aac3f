// The rendered files, checked by the tools that will read them: systemd-analyze, Python's plistlib
// (plistutil exits 0 even on bad input) with launchd's documented key types, an XML parser reading the
// UTF-16 bytes install writes, and xmllint against Microsoft's Task Scheduler schema.
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { installSteps, runSteps } from '../../src/service/manage.js';
import { planService } from '../../src/service/render.js';
import { type ServicePlatform, serviceSpec } from '../../src/service/spec.js';
import { loadTemplates } from '../../src/service/templates.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';

let dir: string;

beforeAll(async () => {
  dir = await tempDir('verify');
});

/** Installs the plan for `platform` into a temp HOME with a runner that only records. */
async function installedFiles(platform: ServicePlatform): Promise<string[]> {
  const home = path.join(dir, platform);
  const windows = platform === 'win32';
  const spec = serviceSpec({
    platform,
    env: windows
      ? { USERPROFILE: home, APPDATA: path.join(home, 'AppData'), PATH: '/usr/bin' }
      : { HOME: home, PATH: '/usr/bin:/bin', AWS_SHARED_CREDENTIALS_FILE: `${home}/a & b "c"/credentials` },
    globals: {},
    nodePath: process.execPath,
    // A real file, so systemd-analyze finds the command it would run.
    entryPath: path.resolve('dist/cli.js'),
    cwd: home,
    withTray: true,
    uid: 501,
    userName: 'ann',
  });
  const plan = planService(spec, loadTemplates());
  // Windows paths are not paths here: write those files under the temp dir instead.
  if (windows) for (const unit of plan.units) unit.file = path.join(home, path.win32.basename(unit.file));
  if (windows) spec.serviceDir = home;
  const commands: string[] = [];
  await runSteps(plan, installSteps(plan), {
    run: async (command, args) => {
      commands.push([command, ...args].join(' '));
      return { code: 0, stdout: '', stderr: '' };
    },
  });
  return plan.units.map((unit) => unit.file);
}

const systemd = describeWith('systemdAnalyze', 'builtCli');
systemd('systemd units', () => {
  it('pass `systemd-analyze --user verify` with nothing on stderr', async () => {
    const files = await installedFiles('linux');
    const runtime = await tempDir('runtime');
    const result = spawnSync('systemd-analyze', ['--user', 'verify', ...files], {
      env: { ...process.env, XDG_RUNTIME_DIR: runtime },
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

// launchd.plist(5): each key keyrot writes → the plistlib (Python) type launchd wants. A wrong type (the
// string "30" for ThrottleInterval, <string>true</string> for RunAtLoad) parses fine and launchd ignores it.
const LAUNCHD_TYPES: Record<string, string> = {
  Label: 'str',
  ProgramArguments: 'list',
  WorkingDirectory: 'str',
  EnvironmentVariables: 'dict',
  RunAtLoad: 'bool',
  KeepAlive: 'bool|dict',
  ThrottleInterval: 'int',
  ProcessType: 'str',
  LowPriorityIO: 'bool',
  LimitLoadToSessionType: 'str|list',
  Umask: 'int',
  StandardOutPath: 'str',
  StandardErrorPath: 'str',
};

/** What in a plist does not have launchd's type (read with python3's plistlib), in file order. */
function launchdTypeProblems(file: string): string[] {
  const result = spawnSync(
    'python3',
    [
      '-c',
      [
        'import json, plistlib, sys',
        'p = plistlib.load(open(sys.argv[1], "rb"))',
        'def t(v): return type(v).__name__',
        'out = [[k, t(v)] for k, v in p.items()]',
        'out += [["ProgramArguments[]", t(v)] for v in p.get("ProgramArguments", [])]',
        'out += [["EnvironmentVariables." + k, t(v)] for k, v in p.get("EnvironmentVariables", {}).items()]',
        'ka = p.get("KeepAlive")',
        'out += [["KeepAlive." + k, t(v)] for k, v in (ka.items() if isinstance(ka, dict) else [])]',
        'print(json.dumps(out))',
      ].join('\n'),
      file,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) return [`unreadable: ${result.stderr.trim()}`];
  const problems: string[] = [];
  for (const [key, type] of JSON.parse(result.stdout) as [string, string][]) {
    // Arguments and environment values are strings; KeepAlive's conditions (SuccessfulExit…) booleans.
    const wanted =
      key.startsWith('ProgramArguments[') || key.startsWith('EnvironmentVariables.')
        ? 'str'
        : key.startsWith('KeepAlive.')
          ? 'bool'
          : LAUNCHD_TYPES[key];
    if (wanted === undefined) problems.push(`${key} is not a key keyrot knows launchd's type of`);
    else if (!new RegExp(`^(${wanted})$`).test(type))
      problems.push(`${key} is ${type}, not ${wanted.replace('|', ' or ')}`);
  }
  return problems;
}

const python = describeWith('python3');
python('launchd plists and Task Scheduler XML', () => {
  it('parse with plistlib and hold the keys launchd needs', async () => {
    for (const file of await installedFiles('darwin')) {
      const result = spawnSync(
        'python3',
        ['-c', 'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', file],
        { encoding: 'utf8' },
      );
      expect(result.stderr).toBe('');
      const plist = JSON.parse(result.stdout);
      expect(plist).toMatchObject({
        RunAtLoad: true,
        KeepAlive: { SuccessfulExit: false },
        ProgramArguments: expect.any(Array),
        EnvironmentVariables: { PATH: expect.any(String) },
        StandardOutPath: expect.stringContaining('/Library/Logs/keyrot/'),
        StandardErrorPath: expect.stringContaining('/Library/Logs/keyrot/'),
      });
      expect(plist.Label).toMatch(/^io\.keyrot\.(daemon|tray)$/);
      // The daemon stands by while another daemon runs rather than exit 4 and be restarted every 30 s.
      // It runs --jitless (src/service/spec.ts); the tray with node's defaults.
      const [options, command] =
        plist.Label === 'io.keyrot.daemon' ? [['--jitless'], ['daemon', '--standby']] : [[], ['tray']];
      expect(plist.ProgramArguments).toEqual([
        process.execPath,
        ...options,
        path.resolve('dist/cli.js'),
        ...command,
      ]);
      expect(['Background', 'Interactive']).toContain(plist.ProcessType);
      if (plist.Label === 'io.keyrot.daemon') {
        expect(plist.ProcessType).toBe('Background');
        expect(plist.EnvironmentVariables.AWS_SHARED_CREDENTIALS_FILE).toMatch(/a & b "c"\/credentials$/);
      }
    }
  });

  it('writes Task Scheduler XML as UTF-16 with a BOM that a strict parser reads', async () => {
    for (const file of await installedFiles('win32')) {
      const bytes = await readFile(file);
      expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
      const result = spawnSync(
        'python3',
        [
          '-c',
          [
            'import sys, xml.dom.minidom as m',
            'd = m.parse(sys.argv[1])',
            'ns = "http://schemas.microsoft.com/windows/2004/02/mit/task"',
            'print(d.documentElement.tagName, len(d.getElementsByTagNameNS(ns, "LogonTrigger")),',
            '      d.getElementsByTagNameNS(ns, "Command")[0].firstChild.data)',
          ].join('\n'),
          file,
        ],
        { encoding: 'utf8' },
      );
      expect(result.stderr).toBe('');
      // node runs under a console host without a window (conhost.exe --headless).
      expect(result.stdout.trim()).toBe('Task 1 C:\\Windows\\System32\\conhost.exe');
    }
  });

  it('gives every plist key the type launchd documents for it (launchd.plist(5))', async () => {
    for (const file of await installedFiles('darwin')) expect(launchdTypeProblems(file)).toEqual([]);
  });

  it('the launchd type check catches a mistyped key (the check can fail)', async () => {
    const [file] = await installedFiles('darwin');
    const bad = path.join(dir, 'mistyped.plist');
    const text = await readFile(file as string, 'utf8');
    const mistyped = text
      .replace(
        '<key>ThrottleInterval</key>\n  <integer>30</integer>',
        '<key>ThrottleInterval</key>\n  <string>30</string>',
      )
      .replace('<key>RunAtLoad</key>\n  <true/>', '<key>RunAtLoad</key>\n  <string>true</string>');
    expect(mistyped).not.toBe(text);
    await writeFile(bad, mistyped);
    expect(launchdTypeProblems(bad)).toEqual([
      'RunAtLoad is str, not bool',
      'ThrottleInterval is str, not int',
    ]);
  });

  it('the XML checker rejects a broken file (the check can fail)', async () => {
    const broken = path.join(dir, 'broken.xml');
    await writeFile(broken, '<Task><Exec></Task>');
    const result = spawnSync('python3', [
      '-c',
      'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])',
      broken,
    ]);
    expect(result.status).not.toBe(0);
  });
});

const SCHEMA = path.resolve('test/fixtures/task-scheduler/task.xsd');
const xmllint = describeWith('xmllint');
xmllint("Task Scheduler XML against Microsoft's Task Scheduler schema", () => {
  const validate = (file: string) =>
    spawnSync('xmllint', ['--noout', '--schema', SCHEMA, file], { encoding: 'utf8' });

  it('validates (xmllint --schema), daemon and tray', async () => {
    const files = await installedFiles('win32');
    expect(files).toHaveLength(2);
    for (const file of files) {
      const result = validate(file);
      expect(result.stderr.trim()).toBe(`${file} validates`);
      expect(result.status).toBe(0);
    }
  });

  it('rejects a task the schema does not allow (the check can fail)', async () => {
    const [file] = await installedFiles('win32');
    const text = (await readFile(file as string)).subarray(2).toString('utf16le');
    const cases: [string, string][] = [
      // Repetition must come before UserId in a LogonTrigger, and cannot repeat more often than each minute.
      [
        'an interval under a minute',
        text.replace('<Interval>PT15M</Interval>', '<Interval>PT30S</Interval>'),
      ],
      ['an unknown instances policy', text.replace('>IgnoreNew<', '>Ignore<')],
      ['the version the schema does not fix', text.replace('version="1.3"', 'version="1.2"')],
    ];
    for (const [name, broken] of cases) {
      expect(broken, name).not.toBe(text);
      const bad = path.join(dir, 'bad-task.xml');
      await writeFile(bad, Buffer.from(`\uFEFF${broken}`, 'utf16le'));
      expect(validate(bad).status, name).not.toBe(0);
    }
  });
});
