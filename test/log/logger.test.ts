// The logger under POSIX and under Windows file rules (test/fs/file-worlds.ts): on Windows a program
// reading keyrot.log (an editor, `Get-Content -Wait`) refuses the rename that rotates it.
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyrotError } from '../../src/errors/keyrot-error.js';
import { createLogger as createLoggerOn, type LoggerOptions } from '../../src/log/logger.js';
import { FILE_WORLDS, type FileWorld } from '../fs/file-worlds.js';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const KEY_ID_2 = 'AKIAJ2345678ABCDWXYZ';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SECRET_2 = 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY';
const TOKEN = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD'.repeat(4);
// A short password: not secret-shaped, so only its field name can protect it.
const PASSWORD = 'hunter2-short';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

describe.each(FILE_WORLDS)('createLogger under %s', (_name, makeWorld) => {
  let world: FileWorld;
  let dir: string;
  beforeEach(async () => {
    world = await makeWorld();
    dir = world.root;
  });
  afterEach(async () => {
    await world.dispose();
  });
  const createLogger = (options: LoggerOptions) => createLoggerOn({ ...options, fs: world.syncFs });
  const readFile = async (file: string, _encoding: 'utf8') => world.readText(file);
  const readdir = async (folder: string) => world.list(folder);
  const stat = async (file: string) => ({ mode: world.mode(file), size: world.syncFs.statSync(file).size });
  /** Permission bits, checked only where they are permissions (POSIX). */
  const expectMode = async (file: string, mode: number) => {
    if (world.rules === 'posix') expect((await stat(file)).mode & 0o777).toBe(mode);
  };

  it('writes JSON lines to keyrot.log (0600 in a 0700 dir) and human lines to stderr', async () => {
    const logDir = path.join(dir, 'state', 'keyrot');
    const err = capture();
    const logger = createLogger({ logDir, verbose: false, stderr: err.stream });
    logger.info('checked profile', { profile: 'dev', ageDays: 12 });
    logger.warn('key due soon', { profile: 'prod', dueInDays: 3 });
    logger.debug('not shown without verbose');
    await logger.close();

    await expectMode(logDir, 0o700);
    const file = path.join(logDir, 'keyrot.log');
    await expectMode(file, 0o600);
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: 'checked profile',
      profile: 'dev',
      ageDays: 12,
    });
    expect(lines[1]).toMatchObject({ level: 'warn', message: 'key due soon', profile: 'prod', dueInDays: 3 });
    expect(Date.parse(lines[0].timestamp)).not.toBeNaN();
    expect(err.text()).toBe(
      'keyrot info: checked profile (profile=dev, ageDays=12)\nkeyrot warn: key due soon (profile=prod, dueInDays=3)\n',
    );
  });

  it('logs debug lines to the file and stderr when verbose', async () => {
    const err = capture();
    const logger = createLogger({ logDir: dir, verbose: true, stderr: err.stream });
    logger.debug('polling STS', { attempt: 2 });
    await logger.close();
    expect(await readFile(path.join(dir, 'keyrot.log'), 'utf8')).toContain('"polling STS"');
    expect(err.text()).toContain('keyrot debug: polling STS (attempt=2)');
  });

  it('never writes a secret: messages, nested fields, secret-named fields, Error causes and stacks', async () => {
    const err = capture();
    const logger = createLogger({ logDir: dir, verbose: true, stderr: err.stream });
    logger.info(`created ${KEY_ID_2} with secret ${SECRET_2}`);
    logger.info('nested', {
      result: {
        keys: [{ accessKeyId: KEY_ID, note: `secret is ${SECRET}` }],
        env: { AWS_SESSION_TOKEN: TOKEN },
      },
      newSecret: 'short-but-secret-by-name',
      password: PASSWORD,
      argv: ['aws', 'configure', 'set', 'aws_secret_access_key', SECRET],
    });
    const inner = new Error(`SignatureDoesNotMatch for ${KEY_ID} using ${SECRET}`);
    const outer = new KeyrotError('ROTATION_FAILED', `rotation of ${KEY_ID} failed`, {
      cause: inner,
      hint: `retry; token ${TOKEN}`,
    });
    logger.error('rotation failed', { error: outer });
    logger.warn(`proxy http://ann:${PASSWORD}@proxy.corp:3128 refused`, {
      proxy: `http://ann:${PASSWORD}@p/`,
    });
    await logger.close();

    const text = await readFile(path.join(dir, 'keyrot.log'), 'utf8');
    for (const output of [text, err.text()]) {
      for (const secret of [
        SECRET,
        SECRET_2,
        TOKEN,
        PASSWORD,
        'short-but-secret-by-name',
        KEY_ID,
        KEY_ID_2,
      ]) {
        expect(output).not.toContain(secret);
      }
      expect(output).toContain('AKIA…MPLE');
      expect(output).toContain('AKIA…WXYZ');
    }
    const failure = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((line) => line.message === 'rotation failed');
    // The error keeps what a person needs: code, message, hint, stack and cause, all redacted.
    expect(failure.error).toMatchObject({
      name: 'KeyrotError',
      code: 'ROTATION_FAILED',
      message: 'rotation of AKIA…MPLE failed',
      cause: { name: 'Error', message: 'SignatureDoesNotMatch for AKIA…MPLE using [redacted-secret]' },
    });
    expect(failure.error.stack).toContain('logger.test.ts');
    expect(failure.error.cause.stack).toContain('[redacted-secret]');
    expect(failure.error.hint).toContain('[redacted-token]');
    expect(text).toContain('http://ann:***@proxy.corp:3128');
  });

  it('falls back to stderr when the log directory cannot be created', async () => {
    await world.fs.writeFile(path.join(dir, 'not-a-dir'), '');
    const err = capture();
    const logger = createLogger({
      logDir: path.join(dir, 'not-a-dir', 'keyrot'),
      verbose: false,
      stderr: err.stream,
    });
    logger.info('still logging');
    await logger.close();
    expect(err.text()).toContain('cannot write the log in');
    expect(err.text()).toContain('ENOTDIR');
    expect(err.text()).toContain('keyrot info: still logging');
  });

  it('survives circular fields', async () => {
    const logger = createLogger({ logDir: dir, verbose: false });
    const loop: Record<string, unknown> = { name: 'a' };
    loop.self = loop;
    logger.info('loop', { loop });
    await logger.close();
    expect(JSON.parse(await readFile(path.join(dir, 'keyrot.log'), 'utf8')).loop).toEqual({
      name: 'a',
      self: '[circular]',
    });
  });

  it('rotates by size and keeps five files, all 0600', async () => {
    const logger = createLogger({ logDir: dir, verbose: false, maxBytes: 4096 });
    for (let i = 0; i < 400; i++) logger.info(`line ${i} ${'x'.repeat(100)}`);
    await logger.close();
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['keyrot.log', 'keyrot1.log', 'keyrot2.log', 'keyrot3.log', 'keyrot4.log']);
    for (const name of files) {
      const info = await stat(path.join(dir, name));
      expect(info.size).toBeLessThanOrEqual(4096 + 200);
      await expectMode(path.join(dir, name), 0o600);
    }
    // keyrot.log holds the newest lines; oldest to newest, the kept lines are contiguous (none lost).
    const kept: number[] = [];
    for (const name of ['keyrot4.log', 'keyrot3.log', 'keyrot2.log', 'keyrot1.log', 'keyrot.log']) {
      for (const line of (await readFile(path.join(dir, name), 'utf8')).trim().split('\n')) {
        kept.push(Number(/line (\d+) /.exec(JSON.parse(line).message)?.[1]));
      }
    }
    expect(kept.at(-1)).toBe(399);
    expect(kept).toEqual(kept.map((_, i) => (kept[0] ?? 0) + i));
  });

  it('narrows an existing log file to 0600 and ignores lines after close', async () => {
    await world.fs.writeFile(path.join(dir, 'keyrot.log'), '', { mode: 0o644 });
    const err = capture();
    const logger = createLogger({ logDir: dir, verbose: false, stderr: err.stream });
    await expectMode(path.join(dir, 'keyrot.log'), 0o600);
    await logger.close();
    logger.info('after close');
    expect(await readFile(path.join(dir, 'keyrot.log'), 'utf8')).toBe('');
  });

  it('filters the file and stderr by their own levels, and writes a bigint field as its digits', async () => {
    const err = capture();
    const logger = createLogger({ logDir: dir, verbose: false, stderr: err.stream, level: 'warn' });
    logger.info('only on stderr');
    logger.warn('both', { bytes: 12345678901234567890n });
    await logger.close();
    const lines = (await readFile(path.join(dir, 'keyrot.log'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { level: 'warn', message: 'both', bytes: '12345678901234567890', timestamp: expect.any(String) },
    ]);
    expect(err.text()).toBe(
      'keyrot info: only on stderr\nkeyrot warn: both (bytes="12345678901234567890")\n',
    );
  });

  it('says once on stderr that it cannot write keyrot.log (a full disk), and goes on logging to stderr', async () => {
    const err = capture();
    const full = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const logger = createLoggerOn({
      logDir: dir,
      verbose: false,
      stderr: err.stream,
      fs: {
        ...world.syncFs,
        appendFileSync: () => {
          throw full;
        },
      },
    });
    logger.info('first');
    logger.info('second');
    await logger.close();
    expect(err.text()).toBe(
      `keyrot warn: cannot write keyrot.log in ${dir} (ENOSPC); lines may be missing from it\nkeyrot info: first\nkeyrot info: second\n`,
    );
  });

  it('keeps every line while a reader holds keyrot.log open, and rotates once it lets go', async () => {
    let now = 0;
    const logger = createLoggerOn({
      logDir: dir,
      verbose: false,
      maxBytes: 2048,
      fs: world.syncFs,
      now: () => now,
    });
    // keyrot.log is created by the first line; a reader holds it from then on.
    logger.info('line 0');
    const held = world.hold(path.join(dir, 'keyrot.log'));
    for (let i = 1; i < 60; i++) logger.info(`line ${i} ${'x'.repeat(100)}`);
    held();
    now += 120_000; // past the wait before the next attempt
    for (let i = 60; i < 80; i++) logger.info(`line ${i} ${'x'.repeat(100)}`);
    await logger.close();
    const kept: number[] = [];
    const files = (await readdir(dir)).sort().reverse(); // keyrotN.log … keyrot1.log, then keyrot.log
    const ordered = [...files.filter((f) => f !== 'keyrot.log'), 'keyrot.log'];
    for (const name of ordered) {
      for (const line of (await readFile(path.join(dir, name), 'utf8')).trim().split('\n')) {
        kept.push(Number(/line (\d+)/.exec(JSON.parse(line).message)?.[1]));
      }
    }
    // Nothing lost, nothing out of order.
    expect(kept).toEqual(Array.from({ length: 80 }, (_, i) => i));
    // Rotated once the reader let go: the live file is small again.
    expect((await stat(path.join(dir, 'keyrot.log'))).size).toBeLessThanOrEqual(2048 + 200);
    expect(files.length).toBeGreaterThan(1);
  });
});
