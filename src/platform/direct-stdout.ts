// Output to file descriptor 1 without process.stdout. Making that stream (a net.Socket over a pipe,
// with Node's stream modules) costs ~3 ms on Node 24, more than the rest of a fast command's work: the
// fast paths (the agent's answer, `status --offline`, `--version`) write their few lines with
// fs.writeSync instead. A non-blocking pipe that is full (EAGAIN) or a short write hands the rest, and
// every later write, to process.stdout, so nothing is lost or reordered.
import { fstatSync, writeSync } from 'node:fs';

/** The part of a Writable the fast paths write with: text or bytes, and an optional callback. */
export interface TextSink {
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean;
}

/**
 * A sink on file descriptor 1. Once the reader has closed its end (EPIPE) the rest is dropped, as a
 * command whose reader stopped early (`keyrot … | head`) has nobody left to tell.
 */
export function directStdout(): TextSink {
  let readerGone = false;
  let stream: NodeJS.WriteStream | undefined;
  return {
    write(chunk, callback) {
      let rest = chunk;
      if (!stream) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        let written = 0;
        if (!readerGone) {
          try {
            while (written < bytes.length) {
              const n = writeSync(1, bytes, written, bytes.length - written);
              if (n === 0) break;
              written += n;
            }
          } catch (error) {
            if (isReaderGone(error)) readerGone = true;
            else if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
          }
        }
        if (readerGone || written === bytes.length) {
          if (callback) queueMicrotask(() => callback(null));
          return true;
        }
        // From here on the stream writes, in order. A reader that goes away meanwhile is no error either.
        stream = process.stdout;
        stream.on('error', (error) => {
          if (!isReaderGone(error)) throw error;
        });
        rest = bytes.subarray(written);
      }
      return stream.write(rest, (error) => callback?.(isReaderGone(error) ? null : error));
    },
  };
}

/** Whether `error` says the reader closed its end of stdout (EPIPE). */
function isReaderGone(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null | undefined)?.code === 'EPIPE';
}

/** Writes `chunk` through `sink` and resolves once it is written (or dropped for a reader gone). */
export function writeFully(sink: TextSink, chunk: string | Uint8Array): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    sink.write(chunk, (error) => (error ? reject(error) : resolve())),
  );
}

/** False when stdout is surely no terminal (a pipe or a file: not a character device), cheaply. */
export function stdoutMayBeTerminal(): boolean {
  try {
    return fstatSync(1).isCharacterDevice();
  } catch {
    return false;
  }
}
