// Questions on the terminal: the question on stderr (stdout stays the command's output), one answer
// line from stdin. One reader serves a whole conversation, so lines typed ahead are never lost.
import { createInterface } from 'node:readline';
import type { CommandContext } from './context.js';

/** A conversation on the terminal; close it when done. */
export interface Asker {
  /** The answer line (trimmed), or null when stdin ended. */
  line(question: string): Promise<string | null>;
  /** A yes/no question: Enter takes the default, EOF means no. */
  yesNo(question: string, defaultYes: boolean): Promise<boolean>;
  close(): void;
}

/** Starts a conversation on ctx's stdin/stderr. */
export function openAsker(ctx: CommandContext): Asker {
  const rl = createInterface({ input: ctx.io.stdin, terminal: false });
  const lines: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let ended = false;
  rl.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  rl.on('close', () => {
    ended = true;
    for (const next of waiting.splice(0)) next(null);
  });
  const line = (question: string): Promise<string | null> => {
    ctx.io.stderr.write(question);
    const typed = lines.shift();
    if (typed !== undefined) return Promise.resolve(typed.trim());
    if (ended) return Promise.resolve(null);
    return new Promise((resolve) => waiting.push((answer) => resolve(answer?.trim() ?? null)));
  };
  return {
    line,
    async yesNo(question, defaultYes) {
      for (;;) {
        const answer = await line(`${question} ${defaultYes ? '[Y/n]' : '[y/N]'} `);
        if (answer === null) return false;
        if (answer === '') return defaultYes;
        if (/^y(es)?$/i.test(answer)) return true;
        if (/^no?$/i.test(answer)) return false;
        ctx.io.stderr.write('Please answer y or n.\n');
      }
    },
    close: () => rl.close(),
  };
}
