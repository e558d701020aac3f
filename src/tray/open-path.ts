// "Open log": hand the file to the desktop's default application.
import { spawn } from 'node:child_process';

/** The opener program and its arguments for `target` on `platform`. */
export function openerCommand(
  target: string,
  platform: NodeJS.Platform,
): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [target] };
  // explorer.exe opens a file with its associated program, without cmd.exe quoting rules.
  if (platform === 'win32') return { command: 'explorer.exe', args: [target] };
  return { command: 'xdg-open', args: [target] };
}

/** Opens `target` with the desktop's default program; resolves false when no opener could start. */
export function openPath(
  target: string,
  options: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv } = {},
): Promise<boolean> {
  const { command, args } = openerCommand(target, options.platform ?? process.platform);
  return new Promise((resolve) => {
    const child = spawn(command, args, { detached: true, stdio: 'ignore', env: options.env ?? process.env });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}
