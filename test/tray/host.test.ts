// startTrayHost against stand-in helpers (small executables in the helper's place): the failure modes
// a real helper shows only on broken machines (missing library, hanging start), and the protocol
// lines keyrot sends for updates. The real helper under Xvfb is covered in tray.e2e.test.ts.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeyrotError } from '../../src/errors/keyrot-error.js';
import { locateSystray2, type TrayHelper } from '../../src/tray/helper-binary.js';
import { checkDisplay, describeExit, startTrayHost } from '../../src/tray/host.js';
import { buildTrayModel, type TrayMenuItem, type TrayModelInput } from '../../src/tray/model.js';
import { tempDirSync } from '../support/cleanup.js';

const linuxOnly = process.platform === 'linux' ? describe : describe.skip;

async function standIn(
  script: string | ((dir: string) => string),
): Promise<{ helper: TrayHelper; dir: string }> {
  const dir = tempDirSync('standin');
  if (typeof script === 'function') script = script(dir);
  const { version } = locateSystray2();
  const file = path.join(dir, 'tray-helper', version, 'tray_linux_release');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, script, { mode: 0o700 });
  return { helper: { copyDir: path.join(dir, 'tray-helper'), path: file, version }, dir };
}

function model(overrides: Partial<TrayModelInput> = {}) {
  return buildTrayModel({
    now: new Date('2026-11-25T12:00:00Z'),
    state: null,
    watch: ['dev'],
    warnDays: () => 7,
    pausedUntil: null,
    rotation: null,
    timeZone: 'UTC',
    ...overrides,
  });
}

const options = (helper: TrayHelper, onClick: (item: TrayMenuItem) => void = () => {}) => ({
  helper,
  iconFile: () => path.join(import.meta.dirname, '../../assets/tray/healthy.png'),
  onClick,
  env: { DISPLAY: ':0' },
  platform: 'linux' as const,
});

describe('checkDisplay', () => {
  it('refuses at once on Linux without DISPLAY or WAYLAND_DISPLAY, and says notifications still work', () => {
    let error: unknown;
    try {
      checkDisplay({}, 'linux');
    } catch (e) {
      error = e;
    }
    expect(isKeyrotError(error, 'TRAY_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('no display');
    expect((error as { hint: string }).hint).toContain('desktop notifications still work');
    expect(() => checkDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).not.toThrow();
    expect(() => checkDisplay({}, 'darwin')).not.toThrow();
  });
});

describe('describeExit', () => {
  it('names the reason: display, indicator library, or what the helper said', () => {
    expect(describeExit(1, null, ['(tray:1): Gtk-WARNING **: cannot open display: :9'])).toMatch(
      /^no display/,
    );
    expect(describeExit(1, null, ['Gtk-WARNING: something else'])).toBe(
      'the tray helper exited (code 1): Gtk-WARNING: something else',
    );
    expect(describeExit(null, 'SIGKILL', [])).toBe('the tray helper exited (signal SIGKILL)');
  });
});

linuxOnly('startTrayHost with stand-in helpers', () => {
  it('explains a missing appindicator library as no indicator support', async () => {
    const { helper } = await standIn(
      '#!/bin/sh\necho "tray_linux_release: error while loading shared libraries: libayatana-appindicator3.so.1: cannot open shared object file: No such file or directory" >&2\nexit 127\n',
    );
    const error = await startTrayHost(model(), options(helper)).catch((e: unknown) => e);
    expect(isKeyrotError(error, 'TRAY_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toBe(
      "cannot show a tray icon: no indicator support (libayatana-appindicator3.so.1 is missing: install libayatana-appindicator3-1 or your distribution's appindicator library)",
    );
  });

  it('gives up on a helper that never reports ready, and stops it', async () => {
    const { helper } = await standIn('#!/bin/sh\nexec sleep 30\n');
    const started = Date.now();
    const error = await startTrayHost(model(), { ...options(helper), readyTimeoutMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((error as Error).message).toBe(
      'cannot show a tray icon: the tray helper did not report ready within 300 ms (no system tray in this session?)',
    );
  });

  it('updates only the items that changed, and restarts the helper when the menu shape changes', async () => {
    const { helper, dir } = await standIn(
      (dir) =>
        `#!/usr/bin/env node\nconst fs = require('node:fs');\nconsole.log(JSON.stringify({ type: 'ready' }));\nrequire('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {\n  fs.appendFileSync(${JSON.stringify(dir)} + '/' + process.pid + '.log', line + '\\n');\n  if (JSON.parse(line).type === 'exit') process.exit(0);\n  if (line.includes('"items"') && !line.includes('"type"')) console.log(JSON.stringify({ type: 'clicked', __id: 5, item: {}, seq_id: 0 }));\n});\n`,
    );
    const clicks: string[] = [];
    const host = await startTrayHost(model(), {
      ...options(helper, (item) => clicks.push(item.key)),
    });
    const lines = (pid: number) =>
      readFileSync(path.join(dir, `${pid}.log`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const first = host.helperPid;
    try {
      await until(() => clicks.length > 0);
      expect(clicks).toEqual(['rotate']); // __id 5 is the fifth item: "Rotate dev now"
      const init = lines(first)[0] as { items: { title: string }[]; icon: string };
      expect(init.items.map((item) => item.title)).toContain('dev — not checked yet');
      expect(init.icon).toBe(
        readFileSync(path.join(import.meta.dirname, '../../assets/tray/healthy.png')).toString('base64'),
      );

      await host.render(model({ rotation: { profile: 'dev' } }));
      await until(() => lines(first).length >= 4);
      const updates = lines(first).slice(1);
      expect(updates.map((u) => [u.type, (u.item as { title?: string } | undefined)?.title])).toEqual([
        ['update-item', 'Rotating dev: starting…'],
        ['update-item', 'Rotating dev…'],
        ['update-menu', undefined],
      ]);

      await host.render(model({ watch: ['dev', 'prod'] }));
      expect(host.helperPid).not.toBe(first);
      await until(() => lines(first).at(-1)?.type === 'exit');
    } finally {
      await host.close();
    }
  });
});

/** Polls `condition` for up to 20 s (the stand-in helpers are real node processes; a loaded machine is slow). */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(condition()).toBe(true);
}
