// How the daemon starts its check worker: a real child process, started hidden (no console window per
// check on Windows, where windowsHide is what keeps it from opening one).
import { type ChildProcess, type ForkOptions, fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { daemonWorker } from '../../src/daemon/check-worker.js';
import { nullLogger } from '../../src/log/logger.js';
import { tempDir } from '../support/cleanup.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('worker');
});

describe('the check worker process', () => {
  it('is started with windowsHide and the node options the daemon gives it', async () => {
    // A worker that exits at once: enough to see the process start and end.
    const script = path.join(dir, 'exit.mjs');
    await writeFile(script, 'process.exit(3);\n');
    const started: { options: ForkOptions | undefined; child: ChildProcess }[] = [];
    const recordingFork = ((modulePath: string, args: string[], options?: ForkOptions) => {
      const child = fork(modulePath, args, options);
      started.push({ options, child });
      return child;
    }) as typeof fork;
    const worker = daemonWorker({
      env: process.env,
      globals: {},
      logger: nullLogger,
      workerPath: script,
      userName: 'ann',
      // What the daemon gives it: its own node options without the service's --jitless.
      execArgv: ['--no-warnings'],
      fork: recordingFork,
    });
    await expect(worker.settings()).rejects.toThrow('exited with code 3 before answering');
    expect(started).toHaveLength(1);
    expect(started[0]?.options).toMatchObject({ windowsHide: true, execArgv: ['--no-warnings'] });
    expect(started[0]?.child.pid).toBeGreaterThan(0);
    await worker.afterPass();
  });
});
