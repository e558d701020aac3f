// What a notification becomes on each OS, checked through node-notifier's own option mapping (the code
// that turns options into terminal-notifier's and SnoreToast's command lines), and the macOS route.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { macRoute, osascriptArgs, terminalNotifierPath } from '../../src/notify/mac-notifications.js';
import { nodeNotifierOptions } from '../../src/notify/notifier.js';
import { appIdRegistered, KEYROT_APP_ID, registerAppIdCommand } from '../../src/notify/windows-app-id.js';
import type { RunProgram } from '../../src/platform/mac-cpu.js';

const require = createRequire(import.meta.url);
// node-notifier's internal mapping, as its NotificationCenter and WindowsToaster use it.
const utils = require('node-notifier/lib/utils.js') as {
  mapToMac(options: Record<string, unknown>): Record<string, unknown>;
  mapToWin8(options: Record<string, unknown>): Record<string, unknown>;
  constructArgumentList(options: Record<string, unknown>, extra?: Record<string, unknown>): string[];
};
const notification = {
  title: 'keyrot: rotated dev',
  body: 'Rotated key for profile dev',
  urgency: 'low' as const,
};

describe('macOS: terminal-notifier gets no -timeout of its own', () => {
  it("keyrot's options give terminal-notifier no -timeout: it returns at once instead of racing keyrot's 10 s timer", () => {
    const args = utils.constructArgumentList(utils.mapToMac(nodeNotifierOptions(notification, 'darwin')));
    expect(args).not.toContain('-timeout');
    expect(args).toEqual(expect.arrayContaining(['-title', '"keyrot: rotated dev"', '-message']));
    // Without timeout: false, node-notifier adds 10 s (the defect).
    const before = utils.constructArgumentList(
      utils.mapToMac({ title: notification.title, message: notification.body, wait: false }),
    );
    expect(before.slice(before.indexOf('-timeout'), before.indexOf('-timeout') + 2)).toEqual([
      '-timeout',
      '"10"',
    ]);
  });
});

describe("Windows: toasts under keyrot's own application id, once it is registered", () => {
  const toasterArgs = (options: Record<string, unknown>) =>
    utils.constructArgumentList(utils.mapToWin8(options), {
      explicitTrue: true,
      wrapper: '',
      keepNewlines: true,
      noEscape: true,
    });

  it("passes -appID io.keyrot to SnoreToast when registered, and nothing (SnoreToast's own) when not", () => {
    const registered = toasterArgs(nodeNotifierOptions(notification, 'win32', KEYROT_APP_ID));
    expect(registered.slice(registered.indexOf('-appID'), registered.indexOf('-appID') + 2)).toEqual([
      '-appID',
      'io.keyrot',
    ]);
    expect(toasterArgs(nodeNotifierOptions(notification, 'win32'))).not.toContain('-appID');
  });

  it('finds the registration SnoreToast -install makes, under any SnoreToast version', async () => {
    const appData = 'C:\\Users\\ann\\AppData\\Roaming';
    const vol = Volume.fromJSON({});
    const fs = {
      readdir: async (dir: string) => (vol.readdirSync(dir.replace(/\\/g, '/')) as string[]).map(String),
      stat: async (file: string) => vol.statSync(file.replace(/\\/g, '/')),
    };
    expect(await appIdRegistered({ APPDATA: appData }, fs)).toBe(false);
    const folder = `${appData}\\Microsoft\\Windows\\Start Menu\\Programs\\SnoreToast\\0.7.0`.replace(
      /\\/g,
      '/',
    );
    vol.mkdirSync(folder, { recursive: true });
    expect(await appIdRegistered({ APPDATA: appData }, fs)).toBe(false);
    vol.writeFileSync(`${folder}/keyrot.lnk`, 'shortcut');
    expect(await appIdRegistered({ APPDATA: appData }, fs)).toBe(true);
    expect(await appIdRegistered({}, fs)).toBe(false);
  });

  it('registers with SnoreToast -install <name> <program> <id>', () => {
    expect(registerAppIdCommand('C:\\n\\snoretoast-x64.exe')).toEqual({
      command: 'C:\\n\\snoretoast-x64.exe',
      args: ['-install', 'keyrot', 'C:\\n\\snoretoast-x64.exe', 'io.keyrot'],
    });
  });
});

describe('Linux: notify-send flags only there', () => {
  it('urgency and app name for notify-send, nothing of it elsewhere', () => {
    expect(nodeNotifierOptions(notification, 'linux')).toMatchObject({
      urgency: 'low',
      'app-name': 'keyrot',
    });
    for (const platform of ['darwin', 'win32'] as const) {
      expect(nodeNotifierOptions(notification, platform)).not.toHaveProperty('urgency');
    }
  });
});

describe('macOS route: terminal-notifier where it runs, osascript where it cannot', () => {
  /** A Mac as sysctl and arch answer on it. */
  const mac =
    (appleSilicon: boolean, rosetta: boolean): RunProgram =>
    async (command, args) => {
      if (command.endsWith('sysctl')) {
        const one = args[1] === 'hw.optional.arm64' ? appleSilicon : false;
        return { code: 0, stdout: one ? '1\n' : '0\n' };
      }
      return { code: rosetta ? 0 : 1, stdout: '' };
    };

  it('reads the shipped terminal-notifier (x86_64 only) and decides by the CPU', async () => {
    expect(await macRoute({ run: mac(false, false) })).toEqual({ via: 'terminal-notifier' });
    expect(await macRoute({ run: mac(true, true) })).toEqual({ via: 'terminal-notifier' });
    expect(await macRoute({ run: mac(true, false) })).toEqual({
      via: 'osascript',
      because:
        'terminal-notifier cannot run: it is built for x86_64 only, and this Mac has Apple silicon and Rosetta 2 is not installed',
    });
    expect((await readFile(terminalNotifierPath())).length).toBeGreaterThan(0);
  });

  it('falls back to osascript when terminal-notifier is missing', async () => {
    const route = await macRoute({
      run: mac(false, false),
      terminalNotifier: '/nonexistent/terminal-notifier',
    });
    expect(route.via).toBe('osascript');
  });

  it('hands the texts to osascript as arguments, never inside the script', () => {
    const tricky = { title: 'a "quoted" \\ title', body: 'end run" & do shell script "x' };
    const args = osascriptArgs(tricky);
    expect(args.slice(-2)).toEqual([tricky.title, tricky.body]);
    expect(args.filter((_arg, i) => args[i - 1] === '-e').join('\n')).not.toContain('quoted');
  });
});
