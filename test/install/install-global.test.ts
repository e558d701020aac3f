// `npm install -g` as a person does it, into a throwaway prefix with a throwaway HOME: from a packed
// tarball (which ships dist/ and needs no build tools), and from a checkout (`npm install -g .`, which
// links the folder and builds it with its own devDependencies). keyrot then runs from PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { type CliResult, runCommand } from '../support/run-cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: { keyrot: string };
};
// npm's download cache: reused so the install needs the network only for what it has never fetched.
const npmCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();

const suite = describeWith('npm', 'builtCli', 'gitCheckout');

suite('npm install -g into a clean prefix', { concurrent: true }, () => {
  let work: string;
  beforeAll(async () => {
    work = await tempDir('install');
  });

  /** A fresh prefix and HOME; PATH holds the prefix's bin, node and the system, nothing of this repo. */
  async function place(name: string) {
    const dir = path.join(work, name);
    const prefix = path.join(dir, 'prefix');
    const home = path.join(dir, 'home');
    await mkdir(prefix, { recursive: true });
    await mkdir(home, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      HOME: home,
      PATH: [
        path.join(prefix, 'bin'),
        path.dirname(process.execPath),
        '/usr/local/bin',
        '/usr/bin',
        '/bin',
      ].join(path.delimiter),
      LANG: 'C.UTF-8',
      npm_config_cache: npmCache,
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_prefer_offline: 'true',
      // The keychain, if the test session has one, under a name of this test's own.
      DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
      KEYROT_KEYCHAIN_SERVICE: `keyrot-install-test-${name}`,
    };
    return { dir, prefix, home, env };
  }

  const run = (command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliResult> =>
    runCommand(command, args, { env, cwd, timeoutMs: 300_000 });

  /** keyrot from PATH: --version, doctor on a home with one profile, and the demo. */
  async function expectKeyrotWorksFromPath(place: { home: string; env: NodeJS.ProcessEnv }) {
    const version = await run('keyrot', ['--version'], place.env);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(PACKAGE.version);

    await mkdir(path.join(place.home, '.aws'), { recursive: true, mode: 0o700 });
    await writeFile(
      path.join(place.home, '.aws', 'credentials'),
      '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = not-a-real-secret\n',
      { mode: 0o600 },
    );
    const doctor = await run('keyrot', ['doctor'], place.env);
    expect(doctor.stdout, doctor.stderr).toContain(`✓ node ${process.versions.node}`);
    expect(doctor.stdout).toContain('✓ profile default holds key AKIA…MPLE');
    expect(doctor.stdout).toMatch(/^(all good|\d+ problems? to fix)/m);
    expect(doctor.stderr).not.toContain('unexpected error');

    const demo = await run('keyrot', ['demo'], place.env);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/finish\s+profile demo: AKIA…\w{4} → AKIA…\w{4}, old key deactivated/);
  }

  it('from a packed tarball: ships dist/, runs no build, and keyrot works from PATH', async () => {
    const p = await place('tarball');
    // --ignore-scripts: pack the dist/ this run already built (npm test builds first) rather than
    // rebuilding it under the other test files that are running it.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', p.dir, ROOT], p.env);
    expect(pack.code, pack.stderr).toBe(0);
    const tarball = path.join(p.dir, `keyrot-${PACKAGE.version}.tgz`);
    expect(existsSync(tarball)).toBe(true);
    const listing = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
    expect(listing).toContain(`package/${PACKAGE.bin.keyrot}`);
    expect(listing).toContain('package/service-templates/keyrot.service');
    expect(listing.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);

    // No build tool is reachable: were a build to run, it would fail the install.
    const install = await run('npm', ['install', '-g', tarball, '--prefix', p.prefix], p.env);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toContain('npm error');
    const installed = path.join(p.prefix, 'lib', 'node_modules', 'keyrot');
    expect(await readdir(installed)).not.toContain('src');
    const devOnly = ['typescript', 'esbuild', 'vitest', '@biomejs'];
    const modules = await readdir(path.join(installed, 'node_modules'));
    expect(modules.filter((m) => devOnly.includes(m))).toEqual([]);
    await expectKeyrotWorksFromPath(p);
  });

  it('from a checkout after `npm ci`: `npm install -g .` links it, builds it, and keyrot works from PATH', async () => {
    const p = await place('checkout');
    // A copy of the checkout (its own dist/, built by `prepare`), with this repo's installed modules
    // standing for `npm ci`.
    const checkout = path.join(p.dir, 'keyrot');
    for (const file of checkoutFiles()) {
      await mkdir(path.dirname(path.join(checkout, file)), { recursive: true });
      await cp(path.join(ROOT, file), path.join(checkout, file));
    }
    await symlink(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'), 'dir');
    expect(existsSync(path.join(checkout, 'dist'))).toBe(false);

    const install = await run('npm', ['install', '-g', '.', '--prefix', p.prefix], p.env, checkout);
    expect(install.code, install.stderr).toBe(0);
    expect(existsSync(path.join(checkout, PACKAGE.bin.keyrot))).toBe(true);
    await expectKeyrotWorksFromPath(p);
  });
});

/** The files of this checkout as git sees them (tracked, and new ones not ignored): no dist/, no node_modules/. */
function checkoutFiles(): string[] {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  return listed.stdout.split('\0').filter((file) => file && existsSync(path.join(ROOT, file)));
}
