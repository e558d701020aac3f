// The after_rotate hook through the built CLI: bounded (a timeout ends its whole process group), not
// waited on past its own exit, and its output kept out of keyrot.log unless log_level = debug.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { killAll, liveInGroup, liveProcesses } from '../support/processes.js';
import { describeWith } from '../support/real-part.js';
import type { World } from '../support/world.js';
import { suiteWorlds } from './harness.js';

describeWith('secretService')('after_rotate through the CLI', { concurrent: true }, () => {
  const { secrets, seededWorld } = suiteWorlds();
  const leftovers: number[] = [];
  afterAll(() => killAll(leftovers));

  /** A world whose profile p holds a 100-day-old key and whose config.ini says `settings`. */
  const world = async (user: string, settings: string) => {
    const { w } = await seededWorld(user);
    await mkdir(join(w.home, '.config', 'keyrot'), { recursive: true });
    await writeFile(join(w.home, '.config', 'keyrot', 'config.ini'), settings);
    return w;
  };
  const rotate = async (w: World, env: NodeJS.ProcessEnv = {}) => {
    const result = await w.run(['rotate-now', '--profile', 'p', '--json'], { env, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    return { ...result, doc: JSON.parse(result.stdout).profiles[0] };
  };

  it('returns when the hook exits although its background job (`sleep 15 &`) holds the pipes, and reports the real duration', async () => {
    const w = await world('hook-bg', '');
    const pidFile = join(w.home, 'bg.pid');
    await writeFile(
      join(w.home, '.config', 'keyrot', 'config.ini'),
      `[profile p]\nafter_rotate = "sleep 15 & echo $! > ${pidFile}; sleep 1"\n`,
    );
    const { doc, stderr } = await rotate(w);
    const background = Number(await readFile(pidFile, 'utf8'));
    leftovers.push(background);
    // rotate-now is done while the background job still runs: it waited for the hook, not its pipes.
    expect(liveProcesses().map((p) => p.pid)).toContain(background);
    expect(doc.hook).toMatchObject({ exitCode: 0, ok: true, timedOut: false });
    expect(doc.hook.durationMs).toBeGreaterThanOrEqual(1000);
    expect(doc.durationMs).toBeGreaterThanOrEqual(doc.hook.durationMs);
    expect(stderr).toMatch(/after_rotate finished in \d+\.\d s/);
  });

  it('kills the whole process group at the timeout (`sleep 400; true`), leaves no orphan and no lock', async () => {
    const w = await world('hook-slow', '');
    const pgidFile = join(w.home, 'pgid');
    await writeFile(
      join(w.home, '.config', 'keyrot', 'config.ini'),
      `[profile p]\nafter_rotate = "echo $$ > ${pgidFile}; sleep 400; true"\n`,
    );
    const { doc, stderr } = await rotate(w, { KEYROT_HOOK_TIMEOUT_MS: '500' });
    const pgid = Number(await readFile(pgidFile, 'utf8'));
    leftovers.push(pgid);
    expect(liveInGroup(pgid)).toEqual([]);
    expect(doc.hook).toMatchObject({ ok: false, timedOut: true });
    expect(stderr).toContain('timed out after');
    // The rotation stands and its lock is free: the next run is not refused as LOCKED.
    const again = await w.run(['rotate-now', '--profile', 'p', '--force', '--json'], {
      env: { KEYROT_HOOK_TIMEOUT_MS: '500' },
      timeoutMs: 60_000,
    });
    expect(again.code, again.stderr).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
  });

  it("keeps the hook's output (here: base64 of the secret) out of keyrot.log at the default level, logging its exit code and duration", async () => {
    const hook = `[profile p]\nafter_rotate = "printf %s \\"$AWS_SECRET_ACCESS_KEY\\" | base64; exit 3"\n`;
    const w = await world('hook-b64', hook);
    const { doc } = await rotate(w);
    expect(doc.hook).toMatchObject({ exitCode: 3, ok: false });
    const secret = (await w.currentKey('p')).secretAccessKey;
    const log = await readFile(join(w.stateDir, 'keyrot.log'), 'utf8');
    expect(log).toContain('after_rotate failed');
    const line = JSON.parse(log.split('\n').find((l) => l.includes('after_rotate failed'))!);
    expect(line).toMatchObject({ exitCode: 3, timedOut: false });
    expect(typeof line.durationMs).toBe('number');
    expect(log).not.toContain(Buffer.from(secret).toString('base64').slice(0, 40));
    expect(log).not.toContain('after_rotate output');

    // At log_level = debug the output is logged (as the README says), the raw secret still redacted.
    const d = await world('hook-b64-debug', `log_level = debug\n${hook}`);
    await rotate(d);
    const debugLog = await readFile(join(d.stateDir, 'keyrot.log'), 'utf8');
    expect(debugLog).toContain('after_rotate output');
  });
});
