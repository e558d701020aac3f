// The node a service runs must survive Node upgrades: versioned paths of nvm, fnm, volta, asdf, mise and
// Homebrew are replaced by their stable alias or shim when one exists and runs, and otherwise the person
// is told how to get one. The layouts are real directories in a temp dir whose "node" binaries are
// symlinks to the node running this test, so every `--version` really runs.
import { chmod, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { MIN_NODE_MAJOR, resolveServiceNode, versionedNode } from '../../src/service/node-path.js';
import { execRunner } from '../../src/service/runner.js';
import { tempDir } from '../support/cleanup.js';

let root: string;
beforeEach(async () => {
  root = await realpath(await tempDir('node-path'));
});

const deps = {
  realpath: (file: string) => realpath(file).catch(() => undefined),
  run: execRunner(process.env, 30_000),
  minMajor: MIN_NODE_MAJOR,
};

/** A "node" at `file` that is the real node, through a symlink. */
async function fakeNode(file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await symlink(process.execPath, file);
  return file;
}

/** A "node" at `file` that is a file of its own (as in Homebrew's Cellar) and runs the real node. */
async function wrappedNode(file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `#!/bin/sh\nexec '${process.execPath}' "$@"\n`);
  await chmod(file, 0o755);
  return file;
}

describe('versionedNode: which paths a Node upgrade removes', () => {
  it.each([
    ['/home/ann/.nvm/versions/node/v22.3.0/bin/node', 'nvm', ['/home/ann/.nvm/current/bin/node']],
    [
      '/home/ann/.local/share/fnm/node-versions/v22.3.0/installation/bin/node',
      'fnm',
      ['/home/ann/.local/share/fnm/aliases/default/bin/node'],
    ],
    ['/home/ann/.volta/tools/image/node/22.3.0/bin/node', 'volta', ['/home/ann/.volta/bin/node']],
    ['/home/ann/.asdf/installs/nodejs/22.3.0/bin/node', 'asdf', ['/home/ann/.asdf/shims/node']],
    [
      '/home/ann/.local/share/mise/installs/node/22.3.0/bin/node',
      'mise',
      ['/home/ann/.local/share/mise/shims/node'],
    ],
    [
      '/opt/homebrew/Cellar/node/22.3.0/bin/node',
      'homebrew',
      ['/opt/homebrew/bin/node', '/opt/homebrew/opt/node/bin/node'],
    ],
    [
      '/usr/local/Cellar/node@20/20.15.1/bin/node',
      'homebrew',
      ['/usr/local/bin/node', '/usr/local/opt/node@20/bin/node'],
    ],
  ])('%s is %s, stable: %j', (nodePath, manager, stable) => {
    expect(versionedNode(nodePath)).toMatchObject({ manager, stable });
  });

  it.each([
    [
      'C:\\Users\\ann\\AppData\\Roaming\\nvm\\v22.3.0\\node.exe',
      'nvm-windows',
      ['C:\\Program Files\\nodejs\\node.exe'],
    ],
    [
      'C:\\Users\\ann\\AppData\\Roaming\\fnm\\node-versions\\v22.3.0\\installation\\node.exe',
      'fnm',
      ['C:\\Users\\ann\\AppData\\Roaming\\fnm\\aliases\\default\\node.exe'],
    ],
    [
      'C:\\Users\\ann\\AppData\\Local\\Volta\\tools\\image\\node\\22.3.0\\node.exe',
      'volta',
      ['C:\\Program Files\\Volta\\node.exe', 'C:\\Users\\ann\\AppData\\Local\\Volta\\bin\\node.exe'],
    ],
  ])('Windows: %s is %s, stable: %j', (nodePath, manager, stable) => {
    expect(versionedNode(nodePath)).toMatchObject({ manager, stable });
  });

  it("nvm-windows: the stable path is NVM_SYMLINK when it is set, and the fix names the version's `nvm use`", () => {
    const found = versionedNode('D:\\tools\\nvm\\v20.15.1\\node.exe', { NVM_SYMLINK: 'D:\\node' });
    expect(found).toMatchObject({
      manager: 'nvm-windows',
      version: 'v20.15.1',
      stable: ['D:\\node\\node.exe'],
    });
    expect(found?.fix).toContain('nvm use 20.15.1');
    expect(found?.fix).toContain('keyrot service install');
  });

  it.each([
    '/usr/bin/node',
    '/usr/local/bin/node',
    '/opt/homebrew/bin/node',
    'C:\\Program Files\\nodejs\\node.exe',
  ])('%s is not versioned', (nodePath) => {
    expect(versionedNode(nodePath)).toBeUndefined();
  });
});

describe('resolveServiceNode on real layouts', () => {
  const version = process.version;

  it('nvm without a current link: keeps the versioned path and says exactly how to get a stable one', async () => {
    const nvm = path.join(root, '.nvm');
    const versioned = await fakeNode(path.join(nvm, 'versions', 'node', version, 'bin', 'node'));
    const node = await resolveServiceNode(versioned, deps);
    expect(node).toMatchObject({ path: versioned, version, manager: 'nvm' });
    expect(node.fragile?.fix).toContain('export NVM_SYMLINK_CURRENT=true');
    expect(node.fragile?.fix).toContain(`${nvm}/current`);
    expect(node.fragile?.fix).toContain('keyrot service install');
  });

  it("nvm with NVM_SYMLINK_CURRENT's link: the service runs current/bin/node", async () => {
    const nvm = path.join(root, '.nvm');
    const versioned = await fakeNode(path.join(nvm, 'versions', 'node', version, 'bin', 'node'));
    await symlink(path.join(nvm, 'versions', 'node', version), path.join(nvm, 'current'));
    const node = await resolveServiceNode(versioned, deps);
    expect(node).toEqual({
      path: path.join(nvm, 'current', 'bin', 'node'),
      version,
      replaces: versioned,
      manager: 'nvm',
    });
  });

  it('fnm: a per-shell link is judged by the file it leads to, and the default alias is used', async () => {
    const fnm = path.join(root, 'fnm');
    const installation = path.join(fnm, 'node-versions', version, 'installation');
    const versioned = await wrappedNode(path.join(installation, 'bin', 'node'));
    await mkdir(path.join(fnm, 'aliases'), { recursive: true });
    await symlink(installation, path.join(fnm, 'aliases', 'default'));
    // fnm puts a per-shell symlink first on PATH; it disappears with the shell.
    const multishell = path.join(root, 'fnm_multishells', '1234_5678');
    await mkdir(path.dirname(multishell), { recursive: true });
    await symlink(installation, multishell);
    const node = await resolveServiceNode(path.join(multishell, 'bin', 'node'), deps);
    expect(node).toMatchObject({
      path: path.join(fnm, 'aliases', 'default', 'bin', 'node'),
      version,
      replaces: versioned,
      manager: 'fnm',
    });
  });

  it("Homebrew: the prefix's bin/node when it is the same formula, else the formula's opt/ link", async () => {
    const brew = path.join(root, 'homebrew');
    const cellar = await wrappedNode(path.join(brew, 'Cellar', 'node@20', '20.15.1', 'bin', 'node'));
    await wrappedNode(path.join(brew, 'Cellar', 'node', '22.3.0', 'bin', 'node'));
    await mkdir(path.join(brew, 'bin'), { recursive: true });
    await mkdir(path.join(brew, 'opt'), { recursive: true });
    await symlink('../Cellar/node/22.3.0/bin/node', path.join(brew, 'bin', 'node'));
    await symlink('../Cellar/node@20/20.15.1', path.join(brew, 'opt', 'node@20'));
    // bin/node is the other formula (node 22): the keg's own opt/ link is the stable path for node@20.
    const node = await resolveServiceNode(cellar, deps);
    expect(node).toMatchObject({ path: path.join(brew, 'opt', 'node@20', 'bin', 'node'), replaces: cellar });
    const linked = await resolveServiceNode(path.join(brew, 'Cellar', 'node', '22.3.0', 'bin', 'node'), deps);
    expect(linked).toMatchObject({ path: path.join(brew, 'bin', 'node'), manager: 'homebrew' });
  });

  it('a stable path whose node is too old is not used', async () => {
    const volta = path.join(root, '.volta');
    const versioned = await fakeNode(path.join(volta, 'tools', 'image', 'node', '22.3.0', 'bin', 'node'));
    const shim = path.join(volta, 'bin', 'node');
    await mkdir(path.dirname(shim), { recursive: true });
    await writeFile(shim, '#!/bin/sh\necho v18.20.0\n');
    await chmod(shim, 0o755);
    const node = await resolveServiceNode(versioned, deps);
    expect(node).toMatchObject({ path: versioned, version, manager: 'volta' });
    expect(node.fragile?.fix).toContain('volta install node@22.3.0');
  });

  it('any other node is used as it is', async () => {
    expect(await resolveServiceNode(process.execPath, deps)).toEqual({ path: process.execPath, version });
  });
});
