// An installed unit must still be able to start: `service install` says which node it will run, and
// `service status` and `doctor` read the installed file back and fail, with the fix, when its node was
// removed by an upgrade or when it runs another keyrot. A fake nvm layout in a temp HOME whose node is
// a symlink to the real one; systemctl is answered by a recorder (the real one is systemd-session.test).
import { mkdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/commands/context.js';
import { runDoctorChecks } from '../../src/commands/doctor.js';
import { serviceCommand } from '../../src/commands/service.js';
import { keyrotEntryPath } from '../../src/service/entry-path.js';
import { decodeServiceFile, parseInstalledCommand } from '../../src/service/installed-command.js';
import { serviceFileBytes } from '../../src/service/manage.js';
import { planService } from '../../src/service/render.js';
import type { CommandRunner } from '../../src/service/runner.js';
import { type ServicePlatform, serviceSpec } from '../../src/service/spec.js';
import { loadTemplates } from '../../src/service/templates.js';
import { tempDir } from '../support/cleanup.js';

let home: string;
beforeEach(async () => {
  home = await realpath(await tempDir('installed'));
});

describe('parseInstalledCommand reads back what install writes', () => {
  const awkward: Record<ServicePlatform, { nodePath: string; entryPath: string }> = {
    linux: { nodePath: '/opt/node 20%/bin/node', entryPath: '/home/ann/$HOME "x"\\y/keyrot/dist/cli.cjs' },
    darwin: { nodePath: '/Users/ann/node & <co>/bin/node', entryPath: "/Users/ann/it's/dist/cli.cjs" },
    win32: {
      nodePath: 'C:\\Program Files\\nodejs\\node.exe',
      entryPath: 'C:\\Users\\Ann Lee\\say "hi"\\dir\\\\dist\\cli.cjs',
    },
  };
  it.each(['linux', 'darwin', 'win32'] as const)('%s', (platform) => {
    const windows = platform === 'win32';
    const plan = planService(
      serviceSpec({
        platform,
        env: windows
          ? { USERPROFILE: home, APPDATA: path.join(home, 'AppData'), PATH: '/usr/bin' }
          : { HOME: home, PATH: '/usr/bin' },
        globals: { credentialsFile: '/tmp/creds' },
        ...awkward[platform],
        cwd: home,
        withTray: true,
        uid: 501,
        userName: 'ann',
      }),
      loadTemplates(),
    );
    for (const unit of plan.units) {
      const content = decodeServiceFile(serviceFileBytes(unit));
      expect(parseInstalledCommand(platform, content)).toEqual({
        ...awkward[platform],
        nodeOptions: unit.kind === 'daemon' ? ['--jitless'] : [],
      });
    }
  });

  it('finds nothing in a file without a command', () => {
    expect(parseInstalledCommand('linux', '[Service]\nType=simple\n')).toBeUndefined();
    expect(parseInstalledCommand('darwin', '<plist><dict></dict></plist>')).toBeUndefined();
  });
});

/** `keyrot service …` or doctor in-process, in the temp HOME; returns exit code and output. */
function context(): { ctx: CommandContext; out: () => string; err: () => string } {
  const capture = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    return { stream, text: () => text };
  };
  const stdout = capture();
  const stderr = capture();
  return {
    ctx: {
      globals: { verbose: false },
      io: {
        stdout: stdout.stream,
        stderr: stderr.stream,
        stdin: new PassThrough(),
        isTTY: false,
        env: { HOME: home, PATH: process.env.PATH, USER: 'ann', KEYROT_STATE_DIR: path.join(home, 'state') },
      },
    },
    out: stdout.text,
    err: stderr.text,
  };
}

/** systemctl as it answers for an enabled, running unit. */
const runningUnit: CommandRunner = async (_command, args) => ({
  code: 0,
  stdout: args.includes('is-enabled') ? 'enabled\n' : args.includes('is-active') ? 'active\n' : '',
  stderr: '',
});

describe.skipIf(process.platform !== 'linux')('the installed unit after a Node upgrade', () => {
  it('install names the node it will run; status and doctor fail with the fix once nvm removed it', async () => {
    const version = process.version;
    const versionDir = path.join(home, '.nvm', 'versions', 'node', version);
    const nvmNode = path.join(versionDir, 'bin', 'node');
    await mkdir(path.dirname(nvmNode), { recursive: true });
    await symlink(process.execPath, nvmNode);

    const install = context();
    const installed = await serviceCommand({ args: ['install'] }, install.ctx, {
      run: runningUnit,
      nodePath: nvmNode,
    });
    expect(installed).toBe(0);
    expect(install.err()).toContain(
      `the service will run node ${version} at ~/.nvm/versions/node/${version}/bin/node`,
    );
    expect(install.err()).toContain('versioned nvm directory');
    expect(install.err()).toContain(
      'fix: nvm keeps a version-independent path only with NVM_SYMLINK_CURRENT',
    );
    const unit = await readFile(path.join(home, '.config', 'systemd', 'user', 'keyrot.service'), 'utf8');
    expect(unit).toContain(`ExecStart="${nvmNode}" "--jitless" "${keyrotEntryPath()}" "daemon"`);

    const before = context();
    expect(await serviceCommand({ args: ['status'] }, before.ctx, { run: runningUnit })).toBe(0);
    expect(before.out()).toContain(`! keyrot.service runs node ${version} from a versioned nvm directory`);
    expect(before.out()).toContain(`✓ keyrot.service runs this keyrot (${keyrotEntryPath()})`);

    // `nvm uninstall`: the version directory goes, and with it the unit's node.
    await rm(versionDir, { recursive: true });
    const after = context();
    expect(await serviceCommand({ args: ['status'] }, after.ctx, { run: runningUnit })).toBe(1);
    expect(after.out()).toContain(`✗ keyrot.service runs node at ${nvmNode}, which no longer exists`);
    expect(after.out()).toContain('fix: run `keyrot service install` again');
    const doctor = await runDoctorChecks(context().ctx, {
      run: runningUnit,
      openKeychain: async () => ({}),
    });
    expect(doctor).toContainEqual({
      level: 'fail',
      text: expect.stringContaining(`keyrot.service runs node at ${nvmNode}, which no longer exists`),
      fix: expect.stringContaining('run `keyrot service install` again'),
    });
  });

  it("with nvm's current link the unit runs current/bin/node, which survives the upgrade", async () => {
    const version = process.version;
    const nvm = path.join(home, '.nvm');
    const nvmNode = path.join(nvm, 'versions', 'node', version, 'bin', 'node');
    await mkdir(path.dirname(nvmNode), { recursive: true });
    await symlink(process.execPath, nvmNode);
    await symlink(path.join(nvm, 'versions', 'node', version), path.join(nvm, 'current'));
    const install = context();
    expect(
      await serviceCommand({ args: ['install'] }, install.ctx, { run: runningUnit, nodePath: nvmNode }),
    ).toBe(0);
    expect(install.err()).toContain(`the service will run node ${version} at ~/.nvm/current/bin/node`);
    expect(install.err()).not.toContain('warning');
    const status = context();
    expect(await serviceCommand({ args: ['status'] }, status.ctx, { run: runningUnit })).toBe(0);
    expect(status.out()).toContain(`✓ keyrot.service runs node ${version} (${nvm}/current/bin/node)`);
  });

  it('status and doctor warn when the daemon unit lacks the node options install writes now (an older install)', async () => {
    const install = context();
    expect(await serviceCommand({ args: ['install'] }, install.ctx, { run: runningUnit })).toBe(0);
    const file = path.join(home, '.config', 'systemd', 'user', 'keyrot.service');
    const fresh = context();
    expect(await serviceCommand({ args: ['status'] }, fresh.ctx, { run: runningUnit })).toBe(0);
    expect(fresh.out()).not.toContain('runs node without');
    // The unit as keyrot wrote it before the daemon ran --jitless.
    await writeFile(file, (await readFile(file, 'utf8')).replace('"--jitless" ', ''));
    const older = context();
    expect(await serviceCommand({ args: ['status'] }, older.ctx, { run: runningUnit })).toBe(0);
    expect(older.out()).toContain('! keyrot.service runs node without --jitless');
    expect(older.out()).toContain('fix: run `keyrot service install` again');
    expect(older.out()).toContain(`✓ keyrot.service runs this keyrot (${keyrotEntryPath()})`);
    const doctor = await runDoctorChecks(context().ctx, { run: runningUnit, openKeychain: async () => ({}) });
    expect(doctor.find((check) => check.text.includes('runs node without --jitless'))?.level).toBe('warn');
  });

  it('status and doctor fail when the unit runs another keyrot', async () => {
    const other = path.join(home, 'other', 'keyrot');
    await mkdir(path.join(other, 'dist'), { recursive: true });
    await writeFile(path.join(other, 'package.json'), '{"name":"keyrot","bin":{"keyrot":"dist/cli.cjs"}}');
    await writeFile(path.join(other, 'dist', 'cli.cjs'), '');
    const otherEntry = path.join(other, 'dist', 'cli.cjs');
    const install = context();
    expect(
      await serviceCommand({ args: ['install'] }, install.ctx, { run: runningUnit, entryPath: otherEntry }),
    ).toBe(0);
    const status = context();
    expect(await serviceCommand({ args: ['status'] }, status.ctx, { run: runningUnit })).toBe(1);
    expect(status.out()).toContain(
      `✗ keyrot.service runs another keyrot (${otherEntry}), not this one (${keyrotEntryPath()})`,
    );
    const doctor = await runDoctorChecks(context().ctx, { run: runningUnit, openKeychain: async () => ({}) });
    expect(doctor.find((check) => check.text.includes('runs another keyrot'))?.level).toBe('fail');
  });
});
