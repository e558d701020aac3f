// The fast paths write to file descriptor 1 directly (src/platform/direct-stdout.ts). Through real
// pipes: a non-blocking pipe that fills up still gets every byte in order (the rest goes through the
// stream), and a reader that goes away early ends the command quietly with its own exit code.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { stopAtFileEnd, tempDirSync } from '../support/cleanup.js';
import { CLI_PATH, runCli, runCliReaderGoneEarly } from '../support/run-cli.js';
import { profileBlock } from '../support/world.js';

const PROFILES = 1500;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  home = tempDirSync('direct-stdout');
  mkdirSync(path.join(home, '.aws'), { mode: 0o700 });
  const blocks = Array.from({ length: PROFILES }, (_, i) =>
    profileBlock(`p${i}`, {
      accessKeyId: `AKIA${String(i).padStart(16, '0')}`,
      secretAccessKey: 'not-a-real-secret-not-a-real-secret-0000',
    }),
  );
  writeFileSync(path.join(home, '.aws', 'credentials'), blocks.join(''), { mode: 0o600 });
  env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CACHE_HOME: path.join(home, 'cache'),
    XDG_STATE_HOME: path.join(home, 'state'),
    XDG_CONFIG_HOME: path.join(home, 'config'),
  };
});

/** Reads `fd` (non-blocking) until every writer has closed it. */
async function drain(fd: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(65_536);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      await sleep(5);
      continue;
    }
    if (n === 0) return Buffer.concat(chunks);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
}

describe('output written to file descriptor 1 directly (status --offline --json)', () => {
  it('arrives whole and in order through a non-blocking pipe that fills up', async () => {
    const expected = await runCli(['status', '--offline', '--json'], { env });
    expect(expected.code, expected.stderr).toBe(0);
    // Several times a pipe's 64 KiB buffer: the direct write must meet EAGAIN or a short write.
    expect(Buffer.byteLength(expected.stdout)).toBeGreaterThan(4 * 65_536);

    const fifo = path.join(home, 'stdout.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      const child = stopAtFileEnd(
        spawn(process.execPath, [CLI_PATH, 'status', '--offline', '--json'], {
          env,
          stdio: ['ignore', writer, 'pipe'],
        }),
      );
      closeSync(writer);
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      // Nobody reads for a while: the pipe fills up and the rest waits in the stream.
      await sleep(300);
      const output = await drain(reader);
      expect(await exited, stderr).toBe(0);
      expect(output.toString('utf8')).toBe(expected.stdout);
    } finally {
      closeSync(reader);
    }
  });

  it('ends quietly with exit code 0 when its reader goes away early', async () => {
    const { code, stderr } = await runCliReaderGoneEarly(['status', '--offline', '--json'], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
