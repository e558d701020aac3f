// On Windows node-notifier shows toasts through its vendored SnoreToast. Without an application id
// (AppUserModelID) the toast is branded "SnoreToast"; with one that Windows does not know, it may not
// show at all (node-notifier's README, "Windows: SnoreToast text"). keyrot's id is registered by
// `keyrot service install`, with SnoreToast's own `-install`, which creates a Start menu shortcut
// carrying it (%APPDATA%\Microsoft\Windows\Start Menu\Programs\SnoreToast\<version>\keyrot.lnk); the
// notifier passes the id only once that shortcut exists.
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** keyrot's AppUserModelID. */
export const KEYROT_APP_ID = 'io.keyrot';

/** The name of keyrot's Start menu shortcut (SnoreToast adds `.lnk`). */
export const KEYROT_SHORTCUT_NAME = 'keyrot';

/** node-notifier's SnoreToast program for this CPU (x64 or x86 builds only; it picks x64 on x64). */
export function snoreToastPath(arch: NodeJS.Architecture = process.arch): string {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('node-notifier/package.json'));
  return path.win32.join(root, 'vendor', 'snoreToast', `snoretoast-${arch === 'x64' ? 'x64' : 'x86'}.exe`);
}

/** The command that registers keyrot's application id: SnoreToast -install <name> <program> <id>. */
export function registerAppIdCommand(snoreToast: string): { command: string; args: string[] } {
  return { command: snoreToast, args: ['-install', KEYROT_SHORTCUT_NAME, snoreToast, KEYROT_APP_ID] };
}

/** Whether keyrot's application id is registered (its shortcut exists under SnoreToast's folder). */
export async function appIdRegistered(
  env: NodeJS.ProcessEnv,
  fs: { readdir(dir: string): Promise<string[]>; stat(file: string): Promise<unknown> } = { readdir, stat },
): Promise<boolean> {
  if (!env.APPDATA) return false;
  const folder = path.win32.join(env.APPDATA, 'Microsoft', 'Windows', 'Start Menu', 'Programs', 'SnoreToast');
  for (const version of await fs.readdir(folder).catch(() => [] as string[])) {
    const shortcut = path.win32.join(folder, version, `${KEYROT_SHORTCUT_NAME}.lnk`);
    if (
      await fs.stat(shortcut).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}
