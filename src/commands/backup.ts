import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { loadSettings } from '../config/load-settings.js';
import { keyrotPaths } from '../config/paths.js';
import { editLockPath } from '../credentials/update.js';
import { ExitCode, type ExitCodeValue, KeyrotError } from '../errors/keyrot-error.js';
import { resolveWriteTarget, writeFileAtomic } from '../fs/atomic-write.js';
import { realFs } from '../fs/fs-port.js';
import { type BackupInfo, BackupStore } from '../keychain/backups.js';
import { maskSharedFile } from '../keychain/mask-shared-file.js';
import { type Keychain, openKeychain } from '../keychain/open-keychain.js';
import { acquireLock } from '../lock/index.js';
import type { CommandContext } from './context.js';

/** Options of `keyrot backup`. */
export interface BackupInput {
  args: string[];
  json?: boolean;
  yes?: boolean;
}

/** What `keyrot backup` needs besides the process; tests inject an opened keychain. */
export interface BackupDeps {
  /** An opened keychain (default: the one config.ini chooses, opened and probed). */
  keychain?: Keychain;
  /** Backups kept per file (default: `backups_keep` from config.ini). */
  keep?: number;
}

const ACTIONS = ['list', 'show', 'restore'] as const;

/** `keyrot backup list [--json] | show ID | restore ID [--yes]`: the credential-file backups in the keychain. */
export async function backupCommand(
  input: BackupInput,
  ctx: CommandContext,
  deps: BackupDeps = {},
): Promise<ExitCodeValue> {
  const [action, id, ...extra] = input.args;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number]) || extra.length > 0) {
    throw new KeyrotError('USAGE', `unknown backup action "${input.args.join(' ')}"`, {
      hint: 'Use `keyrot backup list`, `keyrot backup show ID` or `keyrot backup restore ID`.',
    });
  }
  if (action !== 'list' && !id) {
    throw new KeyrotError('USAGE', `\`keyrot backup ${action}\` needs a backup id`, {
      hint: 'Run `keyrot backup list` to see the ids.',
    });
  }
  const { store, close } = await openBackups(ctx, deps);
  try {
    if (action === 'list') return await listBackups(store, input, ctx);
    if (action === 'show') return await showBackup(store, id!, ctx);
    return await restoreBackup(store, id!, input, ctx);
  } finally {
    await close();
  }
}

async function openBackups(
  ctx: CommandContext,
  deps: BackupDeps,
): Promise<{ store: BackupStore; close: () => Promise<void> }> {
  const env = ctx.io.env;
  let keychain = deps.keychain;
  let keep = deps.keep;
  if (!keychain || keep === undefined) {
    const settings = await loadSettings({ path: ctx.globals.config, env });
    keep ??= settings.backupsKeep;
    keychain ??= await openKeychain({
      env,
      backend: settings.keychain,
      stateDir: keyrotPaths(env).stateDir,
      warn: (message) => ctx.io.stderr.write(`keyrot: warning: ${message}\n`),
    });
  }
  const opened = keychain === deps.keychain ? undefined : keychain;
  // A keychain handed in belongs to the caller; one opened here is closed after the action.
  return { store: new BackupStore(keychain.values, { keep }), close: async () => await opened?.close?.() };
}

async function listBackups(
  store: BackupStore,
  input: BackupInput,
  ctx: CommandContext,
): Promise<ExitCodeValue> {
  const backups = await store.list();
  const out = ctx.io.stdout;
  if (input.json) {
    out.write(`${JSON.stringify({ backups }, null, 2)}\n`);
    return ExitCode.ok;
  }
  if (backups.length === 0) {
    out.write('No backups yet. keyrot takes one before every change to a credentials file.\n');
    return ExitCode.ok;
  }
  const rows = [
    ['ID', 'TIME', 'SIZE', 'FILE', 'REASON'],
    ...backups.map((b) => [b.id, b.createdAt.replace(/\.\d+Z$/, 'Z'), String(b.size), b.file, b.reason]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  for (const row of rows) {
    out.write(
      `${row.map((cell, col) => (col < row.length - 1 ? cell.padEnd(widths[col]!) : cell)).join('  ')}\n`,
    );
  }
  return ExitCode.ok;
}

async function showBackup(store: BackupStore, id: string, ctx: CommandContext): Promise<ExitCodeValue> {
  const { info, content } = await store.read(id);
  // The description goes to stderr so stdout is the (masked) file alone.
  ctx.io.stderr.write(`${describe(info)}; secret values are masked\n`);
  // Shown as UTF-8 text; the backup itself is the exact bytes (a restore writes them unchanged).
  ctx.io.stdout.write(maskSharedFile(content.toString('utf8')));
  return ExitCode.ok;
}

async function restoreBackup(
  store: BackupStore,
  id: string,
  input: BackupInput,
  ctx: CommandContext,
): Promise<ExitCodeValue> {
  const { info, content } = await store.read(id);
  if (!input.yes) {
    if (!ctx.io.isTTY) {
      throw new KeyrotError('CONFIRMATION_REQUIRED', `restoring backup ${info.id} replaces ${info.file}`, {
        hint: 'Not on a terminal, so keyrot cannot ask: add --yes to confirm.',
      });
    }
    const question = `Replace ${info.file} with ${describe(info)}? The current file is backed up first. [y/N] `;
    if (!(await confirm(ctx, question))) {
      ctx.io.stderr.write('Nothing changed.\n');
      return ExitCode.failed;
    }
  }
  // The same lock as the credentials engine's edits, so a restore never interleaves with a rotation.
  const target = (await resolveWriteTarget(realFs, info.file, true)).path;
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const release = await acquireLock(editLockPath(target), { wait: true, timeoutMs: 10_000 });
  let safety: BackupInfo | null = null;
  try {
    const current = await readCurrent(target);
    if (sameBytes(current, content)) {
      ctx.io.stdout.write(`${info.file} already matches backup ${info.id}; nothing to restore.\n`);
      return ExitCode.ok;
    }
    if (current !== null) {
      safety = await store.backup(current, { file: info.file, reason: `before restore of ${info.id}` });
    }
    await writeFileAtomic(target, content, {
      create: true,
      warn: (message) => ctx.io.stderr.write(`keyrot: warning: ${message}\n`),
      // Compare-and-swap: a program that changed the file since it was backed up must not lose its edit.
      beforeRename: async () => {
        if (!sameBytes(await readCurrent(target), current)) {
          throw new KeyrotError(
            'FILE_CHANGED_CONCURRENTLY',
            `${info.file} changed while keyrot restored it`,
            {
              file: info.file,
              hint: 'Nothing was restored; run the restore again.',
            },
          );
        }
      },
    });
    if (!sameBytes(await readCurrent(target), content)) {
      throw new KeyrotError('FILE_WRITE_FAILED', `${info.file} does not read back as backup ${info.id}`, {
        file: info.file,
      });
    }
  } finally {
    await release();
  }
  ctx.io.stdout.write(
    `Restored ${info.file} from backup ${info.id}.` +
      (safety ? ` Its previous content is backup ${safety.id}.` : '') +
      '\n',
  );
  return ExitCode.ok;
}

function describe(info: BackupInfo): string {
  return `backup ${info.id} of ${info.file} from ${info.createdAt} (${info.size} bytes, ${info.reason})`;
}

/** Byte equality, where null (no file) equals only null. */
function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

/** The file's bytes, or null when it does not exist. */
async function readCurrent(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new KeyrotError('FILE_UNREADABLE', `cannot read ${file} to back it up before the restore`, {
      file,
      cause: error,
    });
  }
}

function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: ctx.io.stdin, terminal: false });
    ctx.io.stderr.write(question);
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(/^\s*y(es)?\s*$/i.test(line));
    });
    rl.once('close', () => {
      if (!answered) resolve(false);
    });
  });
}
