// The icon files drawn by scripts/make-tray-icons.mjs and shipped in the package's assets/ folder.
import { fileURLToPath } from 'node:url';
import type { TrayIconState } from './model.js';

// From dist/tray/ (installed) or src/tray/ (tests), the package root is two levels up.
const ASSETS = new URL('../../assets/tray/', import.meta.url);

/** The icon file for `state`: ICO on Windows (what its tray loads), PNG elsewhere. */
export function trayIconFile(state: TrayIconState, platform: NodeJS.Platform = process.platform): string {
  return fileURLToPath(new URL(`${state}.${platform === 'win32' ? 'ico' : 'png'}`, ASSETS));
}
