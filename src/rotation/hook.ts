import { spawn } from 'node:child_process';
import type { HookPort } from './ports.js';

/** Runs after_rotate through the shell; the key reaches it only through its environment, never argv. */
export function shellHook(baseEnv: NodeJS.ProcessEnv, timeoutMs = 120_000): HookPort {
  return {
    run(command, env) {
      return new Promise((resolve) => {
        // Drop any ambient AWS credentials so the hook sees exactly the new key.
        const clean = Object.fromEntries(
          Object.entries(baseEnv).filter(
            ([k]) => !/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(k),
          ),
        );
        const child = spawn('/bin/sh', ['-c', command], {
          env: { ...clean, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: timeoutMs,
        });
        let output = '';
        const take = (chunk: Buffer) => {
          if (output.length < 64_000) output += chunk.toString('utf8');
        };
        child.stdout.on('data', take);
        child.stderr.on('data', take);
        child.on('error', (error) => resolve({ exitCode: -1, output: error.message }));
        child.on('close', (code) => resolve({ exitCode: code ?? -1, output }));
      });
    },
  };
}
