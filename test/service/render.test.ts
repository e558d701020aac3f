import { describe, expect, it } from 'vitest';
import { planService, renderSystemdUnit } from '../../src/service/render.js';
import { type ServicePlatform, type ServiceSpecInput, serviceSpec } from '../../src/service/spec.js';
import { loadTemplates } from '../../src/service/templates.js';

const templates = loadTemplates();

/** The same install on each OS, with the awkward characters real paths and values can hold. */
function specFor(platform: ServicePlatform, overrides: Partial<ServiceSpecInput> = {}) {
  const windows = platform === 'win32';
  return serviceSpec({
    platform,
    env: windows
      ? {
          USERPROFILE: 'C:\\Users\\Ann Lee',
          APPDATA: 'C:\\Users\\Ann Lee\\AppData\\Roaming',
          USERDOMAIN: 'WORK',
          PATH: 'C:\\Windows\\system32;C:\\Program Files\\nodejs',
          AWS_SHARED_CREDENTIALS_FILE: 'D:\\keys & stuff\\credentials',
          KEYROT_KEYCHAIN_SERVICE: 'keyrot-dev',
          AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        }
      : {
          HOME: platform === 'darwin' ? '/Users/ann' : '/home/ann',
          PATH: '/usr/local/bin:/usr/bin:/bin',
          AWS_SHARED_CREDENTIALS_FILE: '/home/ann/aws files/credentials "work"',
          AWS_PROFILE: 'dev',
          KEYROT_KEYCHAIN_SERVICE: 'keyrot-100%',
          HTTPS_PROXY: 'http://proxy:3128',
          AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
          AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEJr',
          AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        },
    globals: { endpointUrl: 'http://127.0.0.1:4566', config: 'conf/keyrot.ini' },
    nodePath: windows ? 'C:\\Program Files\\nodejs\\node.exe' : '/opt/node 20/bin/node',
    entryPath: windows
      ? 'C:\\Users\\Ann Lee\\AppData\\Roaming\\npm\\node_modules\\keyrot\\dist\\cli.js'
      : '/opt/keyrot $HOME/dist/cli.js',
    cwd: windows ? 'C:\\work' : '/work',
    withTray: true,
    uid: 501,
    userName: 'ann',
    ...overrides,
  });
}

describe('service rendering (snapshots for every OS, rendered on any OS)', () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    it(`renders the ${platform} files`, async () => {
      const plan = planService(specFor(platform), templates);
      expect(plan.units.map((unit) => [unit.kind, unit.name, unit.file, unit.encoding])).toMatchSnapshot();
      for (const unit of plan.units) {
        await expect(unit.content).toMatchFileSnapshot(
          `__snapshots__/${platform}/${unit.file.split(/[\\/]/).pop()}`,
        );
        expect(unit.content).not.toContain('{{');
      }
    });
  }

  it('never copies credentials into a service file', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      for (const unit of planService(specFor(platform), templates).units) {
        expect(unit.content).not.toMatch(
          /AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_ACCESS_KEY_ID|wJalrXUtn|AKIAIOSF/,
        );
      }
    }
  });

  it('passes overrides as environment on Linux and macOS, and as flags on Windows', () => {
    const linux = specFor('linux');
    expect(Object.fromEntries(linux.environment)).toMatchObject({
      PATH: '/opt/node 20/bin:/usr/local/bin:/usr/bin:/bin',
      AWS_SHARED_CREDENTIALS_FILE: '/home/ann/aws files/credentials "work"',
      AWS_PROFILE: 'dev',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      KEYROT_CONFIG: '/work/conf/keyrot.ini',
    });
    expect(linux.globalArgs).toEqual([]);
    expect(specFor('win32').globalArgs).toEqual([
      '--credentials-file',
      'D:\\keys & stuff\\credentials',
      '--config',
      'C:\\work\\conf\\keyrot.ini',
      '--endpoint-url',
      'http://127.0.0.1:4566',
    ]);
    expect(specFor('win32').notCarried).toEqual(['KEYROT_KEYCHAIN_SERVICE']);
    expect(linux.notCarried).toEqual([]);
  });

  it('quotes ExecStart and Environment for systemd ($ and % doubled, quotes escaped)', () => {
    const unit = renderSystemdUnit(specFor('linux'), 'daemon', templates);
    expect(unit).toContain(
      'ExecStart="/opt/node 20/bin/node" "--jitless" "/opt/keyrot $$HOME/dist/cli.js" "daemon" "--standby"\n',
    );
    // The tray gets no node options: only the idle daemon parent runs without V8's compilers.
    expect(renderSystemdUnit(specFor('linux'), 'tray', templates)).toContain(
      'ExecStart="/opt/node 20/bin/node" "/opt/keyrot $$HOME/dist/cli.js" "tray"\n',
    );
    expect(unit).toContain(
      'Environment="AWS_SHARED_CREDENTIALS_FILE=/home/ann/aws files/credentials \\"work\\""\n',
    );
    expect(unit).toContain('Environment="KEYROT_KEYCHAIN_SERVICE=keyrot-100%%"\n');
  });

  it('refuses a value with a line break rather than write a broken unit', () => {
    expect(() => planService(specFor('linux', { nodePath: '/bin/no\nde' }), templates)).toThrow(/line break/);
  });

  it('puts units where each service manager looks for them', () => {
    expect(specFor('linux', { env: { HOME: '/h', XDG_CONFIG_HOME: '/x' } }).serviceDir).toBe(
      '/x/systemd/user',
    );
    expect(specFor('darwin').serviceDir).toBe('/Users/ann/Library/LaunchAgents');
    expect(specFor('darwin').logDir).toBe('/Users/ann/Library/Logs/keyrot');
    expect(specFor('win32').serviceDir).toBe('C:\\Users\\Ann Lee\\AppData\\Local\\keyrot');
  });

  it('starts the Windows task without a console window and again every 15 minutes (a crashed daemon comes back)', () => {
    for (const unit of planService(specFor('win32'), templates).units) {
      const command = /<Command>(.*)<\/Command>/.exec(unit.content)?.[1];
      const args = /<Arguments>(.*)<\/Arguments>/.exec(unit.content)?.[1];
      expect(command).toBe('C:\\Windows\\System32\\conhost.exe');
      expect(args).toMatch(/^--headless &quot;C:\\Program Files\\nodejs\\node.exe&quot; /);
      expect(unit.content).toMatch(
        /<LogonTrigger>[\s\S]*<Repetition>\s*<Interval>PT15M<\/Interval>\s*<StopAtDurationEnd>false<\/StopAtDurationEnd>\s*<\/Repetition>[\s\S]*<\/LogonTrigger>/,
      );
      // While it runs, the repetition starts nothing.
      expect(unit.content).toContain('<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>');
    }
    // The console host is found where Windows is, not assumed on C:.
    const onD = specFor('win32', {
      env: { USERPROFILE: 'D:\\Users\\ann', SystemRoot: 'D:\\WINDOWS' },
    });
    expect(planService(onD, templates).units[0]?.content).toContain(
      '<Command>D:\\WINDOWS\\System32\\conhost.exe</Command>',
    );
  });

  it("carries the XDG directories into the unit and the agent, so the service uses the CLI's files", () => {
    const xdg = { XDG_CONFIG_HOME: 'cfg', XDG_STATE_HOME: '/x/state', XDG_CACHE_HOME: '/x/cache' };
    for (const platform of ['linux', 'darwin'] as const) {
      const env = Object.fromEntries(
        specFor(platform, { env: { HOME: '/Users/ann', PATH: '/bin', ...xdg } }).environment,
      );
      expect(env).toMatchObject({
        XDG_CONFIG_HOME: '/work/cfg',
        XDG_STATE_HOME: '/x/state',
        XDG_CACHE_HOME: '/x/cache',
        KEYROT_SERVICE: platform === 'linux' ? 'systemd' : 'launchd',
      });
    }
    const windows = specFor('win32', { env: { USERPROFILE: 'C:\\Users\\ann', ...xdg } });
    expect(windows.notCarried).toEqual([]);
  });
});
