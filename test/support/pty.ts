import { spawn } from 'node:child_process';

/** An answer to type once `after` appears in what the command printed since the previous answer. */
export interface PtyAnswer {
  after: string | RegExp;
  type: string;
}

/** What a command on a pty printed (the terminal echoes the typed answers into it) and its exit code. */
export interface PtyResult {
  code: number | null;
  text: string;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `argv` on a pseudo-terminal through util-linux `script`, so stdin and stdout are a terminal,
 * and types each answer (with Enter) once its prompt appears. Killed after `timeoutMs`.
 */
export function runOnPty(
  argv: string[],
  options: { env: NodeJS.ProcessEnv; answers: PtyAnswer[]; timeoutMs?: number },
): Promise<PtyResult> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', argv.map(quote).join(' '), '/dev/null'], {
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    const answers = [...options.answers];
    let text = '';
    let seen = 0;
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const next = answers[0];
      if (!next) return;
      const fresh = text.slice(seen);
      const at = typeof next.after === 'string' ? fresh.indexOf(next.after) : fresh.search(next.after);
      if (at < 0) return;
      answers.shift();
      seen = text.length;
      child.stdin.write(`${next.type}\n`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => resolve({ code, text: text.replace(/\r\n/g, '\n') }));
  });
}
