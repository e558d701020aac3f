// Which node binary a service should run. The node that runs `keyrot service install` often lives in a
// versioned directory of a version manager (nvm, fnm, volta, asdf, mise) or of Homebrew's Cellar, which
// the next upgrade removes: a unit naming it would then fail to start, quietly. Each of them also keeps
// a path that survives upgrades (an alias, a shim, a symlink); the service runs that one when it exists
// and works, and otherwise the person is told exactly how to get one.
import type { CommandRunner } from './runner.js';

/** Oldest Node major keyrot runs on (package.json engines). */
export const MIN_NODE_MAJOR = 20;

/** The Node majors CI runs keyrot on (.ci/run), as package.json's engines says. */
export const TESTED_NODE_MAJORS: readonly number[] = [20, 22, 24];

/** Tools that install node into versioned directories. */
export type NodeManager = 'nvm' | 'nvm-windows' | 'fnm' | 'volta' | 'asdf' | 'mise' | 'homebrew';

/** A node path inside a versioned directory, and the paths that stay put when the version changes. */
export interface VersionedNode {
  manager: NodeManager;
  /** The version directory's name (v22.3.0, 22.3.0…). */
  version: string;
  /** Version-independent paths to try, best first. */
  stable: string[];
  /** For Homebrew: the formula's Cellar directory; a stable path must resolve inside it. */
  within?: string;
  /** What the person can do when none of `stable` works. */
  fix: string;
}

/** Environment variables a Windows version manager's stable path depends on. */
export type NodeManagerEnv = Partial<Record<'NVM_SYMLINK' | 'ProgramFiles', string>>;

interface Pattern {
  manager: NodeManager;
  regex: RegExp;
  stable: (groups: Record<string, string>, env: NodeManagerEnv) => string[];
  fix: (groups: Record<string, string>) => string;
  within?: (groups: Record<string, string>) => string;
}

/** fnm's fix, the same on every OS. */
function fnmFix({ version }: Record<string, string>): string {
  return `set fnm's default version (\`fnm default ${version}\`), then run \`keyrot service install\` again`;
}

/** Volta's fix, the same on every OS. */
function voltaFix({ version }: Record<string, string>): string {
  return `make it Volta's default (\`volta install node@${version}\`), then run \`keyrot service install\` again`;
}

const PATTERNS: Pattern[] = [
  {
    manager: 'nvm',
    regex: /^(?<root>.+)\/versions\/node\/(?<version>v[^/]+)\/bin\/node$/,
    stable: ({ root }) => [`${root}/current/bin/node`],
    fix: ({ root }) =>
      `nvm keeps a version-independent path only with NVM_SYMLINK_CURRENT: add \`export NVM_SYMLINK_CURRENT=true\` to your shell profile, run \`nvm use default\` in a new shell (it creates ${root}/current), then run \`keyrot service install\` again`,
  },
  {
    manager: 'fnm',
    regex: /^(?<root>.+)\/node-versions\/(?<version>[^/]+)\/installation\/bin\/node$/,
    stable: ({ root }) => [`${root}/aliases/default/bin/node`],
    fix: fnmFix,
  },
  {
    manager: 'volta',
    regex: /^(?<root>.+)\/tools\/image\/node\/(?<version>[^/]+)\/bin\/node$/,
    stable: ({ root }) => [`${root}/bin/node`],
    fix: voltaFix,
  },
  {
    manager: 'asdf',
    regex: /^(?<root>.+)\/installs\/nodejs\/(?<version>[^/]+)\/bin\/node$/,
    stable: ({ root }) => [`${root}/shims/node`],
    fix: ({ version }) =>
      `set a global Node.js for asdf (\`asdf set --home nodejs ${version}\`; \`asdf global nodejs ${version}\` before asdf 0.16) and run \`asdf reshim nodejs\`, then run \`keyrot service install\` again`,
  },
  {
    manager: 'mise',
    regex: /^(?<root>.+)\/installs\/node\/(?<version>[^/]+)\/bin\/node$/,
    stable: ({ root }) => [`${root}/shims/node`],
    fix: ({ version }) =>
      `set a global Node.js for mise (\`mise use --global node@${version}\`) and run \`mise reshim\`, then run \`keyrot service install\` again`,
  },
  {
    manager: 'homebrew',
    regex: /^(?<prefix>.+)\/Cellar\/(?<formula>node(?:@\d+)?)\/(?<version>[^/]+)\/bin\/node$/,
    // The linked `node` on PATH first, then the formula's own opt/ link (keg-only node@N has only that).
    stable: ({ prefix, formula }) => [`${prefix}/bin/node`, `${prefix}/opt/${formula}/bin/node`],
    within: ({ prefix, formula }) => `${prefix}/Cellar/${formula}/`,
    fix: ({ formula }) => `link it (\`brew link ${formula}\`), then run \`keyrot service install\` again`,
  },
  // Windows: the managers keep node.exe without a bin\ directory, behind backslashes.
  {
    manager: 'nvm-windows',
    regex: /^(?<root>.+\\nvm)\\(?<version>v\d+\.\d+\.\d+)\\node\.exe$/i,
    // nvm-windows points one symlink (NVM_SYMLINK, by default C:\Program Files\nodejs) at the version in use.
    stable: (_, env) => [`${env.NVM_SYMLINK ?? `${programFiles(env)}\\nodejs`}\\node.exe`],
    fix: ({ version }) =>
      `nvm-windows keeps a version-independent path only while a version is in use: run \`nvm use ${(version ?? '').replace(/^v/, '')}\` in an administrator shell (it creates the NVM_SYMLINK link), then run \`keyrot service install\` again`,
  },
  {
    manager: 'fnm',
    regex: /^(?<root>.+)\\node-versions\\(?<version>[^\\]+)\\installation\\node\.exe$/i,
    stable: ({ root }) => [`${root}\\aliases\\default\\node.exe`],
    fix: fnmFix,
  },
  {
    manager: 'volta',
    regex: /^(?<root>.+)\\tools\\image\\node\\(?<version>[^\\]+)\\node\.exe$/i,
    // Volta's Windows installer puts the node shim beside volta.exe; older layouts kept it in the user's bin\.
    stable: ({ root }, env) => [`${programFiles(env)}\\Volta\\node.exe`, `${root}\\bin\\node.exe`],
    fix: voltaFix,
  },
];

/** %ProgramFiles%, or its usual value. */
function programFiles(env: NodeManagerEnv): string {
  return env.ProgramFiles ?? 'C:\\Program Files';
}

/** The version manager or Homebrew directory `nodePath` lies in, or undefined for any other path. */
export function versionedNode(nodePath: string, env: NodeManagerEnv = {}): VersionedNode | undefined {
  for (const pattern of PATTERNS) {
    const groups = pattern.regex.exec(nodePath)?.groups as Record<string, string> | undefined;
    if (!groups) continue;
    return {
      manager: pattern.manager,
      version: groups.version ?? '',
      stable: pattern.stable(groups, env),
      ...(pattern.within ? { within: pattern.within(groups) } : {}),
      fix: pattern.fix(groups),
    };
  }
  return undefined;
}

/** The node binary a service will run, and how it was chosen. */
export interface ServiceNode {
  /** The absolute path the unit runs. */
  path: string;
  /** What `path --version` printed (v22.3.0), or undefined when it did not run. */
  version?: string;
  /** The versioned path this one replaces, when a stable one was found. */
  replaces?: string;
  /** Where the versioned path came from. */
  manager?: NodeManager;
  /** Set when `path` is versioned and nothing stable works: the next upgrade will break the service. */
  fragile?: { fix: string };
}

/** What resolveServiceNode needs from the system. */
export interface NodePathDeps {
  /** The canonical path, or undefined when it does not exist. */
  realpath(file: string): Promise<string | undefined>;
  run: CommandRunner;
  /** A stable path whose node is older than this major is not used (keyrot would not run on it). */
  minMajor?: number;
  /** Where Windows version managers keep their stable paths. */
  env?: NodeManagerEnv;
}

/** `node --version` of a binary, or undefined when it does not run. */
export async function nodeVersionOf(nodePath: string, run: CommandRunner): Promise<string | undefined> {
  const result = await run(nodePath, ['--version']);
  const version = result.stdout.trim();
  return result.code === 0 && /^v\d+\./.test(version) ? version : undefined;
}

/**
 * The node path to write into a unit for the node at `nodePath` (the one running keyrot): itself,
 * unless it lies in a versioned directory, in which case the first stable alternative that exists,
 * points into the same installation (Homebrew), and runs.
 */
export async function resolveServiceNode(nodePath: string, deps: NodePathDeps): Promise<ServiceNode> {
  // fnm's per-shell directories are symlinks that vanish with the shell: judge the target.
  const real = (await deps.realpath(nodePath)) ?? nodePath;
  const source = versionedNode(real, deps.env) ? real : nodePath;
  const versioned = versionedNode(source, deps.env);
  if (!versioned) return { path: nodePath, version: await nodeVersionOf(nodePath, deps.run) };
  for (const candidate of versioned.stable) {
    const target = await deps.realpath(candidate);
    if (!target) continue;
    if (versioned.within && !target.startsWith(versioned.within)) continue;
    const version = await nodeVersionOf(candidate, deps.run);
    if (version && majorOf(version) >= (deps.minMajor ?? 0))
      return { path: candidate, version, replaces: source, manager: versioned.manager };
  }
  return {
    path: source,
    version: await nodeVersionOf(source, deps.run),
    manager: versioned.manager,
    fragile: { fix: versioned.fix },
  };
}

/** 22 for v22.3.0. */
export function majorOf(version: string): number {
  return Number(/^v?(\d+)/.exec(version)?.[1] ?? Number.NaN);
}
