// Reads back, from an installed unit, plist or task file, which node and which keyrot it runs: the
// inverse of the quoting in render.ts and quoting.ts, so `doctor` and `service status` can check them.
import type { ServicePlatform } from './spec.js';

/** The two paths at the head of an installed service's command line. */
export interface InstalledCommand {
  nodePath: string;
  /** Node's own options between node and the entry path (the daemon's --jitless). */
  nodeOptions: string[];
  entryPath: string;
}

/** The text of a service file as install wrote it (Task Scheduler XML is UTF-16 with a BOM). */
export function decodeServiceFile(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** The node and entry paths of a service file's command, or undefined when it has none. */
export function parseInstalledCommand(
  platform: ServicePlatform,
  content: string,
): InstalledCommand | undefined {
  const words =
    platform === 'linux'
      ? systemdWords(content)
      : platform === 'darwin'
        ? plistArguments(content)
        : taskArguments(content);
  // Node's own options (the daemon's --jitless) stand between node and the entry path.
  const [nodePath, ...rest] = words ?? [];
  const at = rest.findIndex((word) => !word.startsWith('-'));
  const entryPath = at >= 0 ? rest[at] : undefined;
  return nodePath && entryPath ? { nodePath, nodeOptions: rest.slice(0, at), entryPath } : undefined;
}

/** ExecStart= split into words: double-quoted with C escapes, then `%%` and `$$` undone. */
function systemdWords(content: string): string[] | undefined {
  const line = /^ExecStart=(.*)$/m.exec(content)?.[1];
  if (line === undefined) return undefined;
  const words: string[] = [];
  const word = /\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))/gy;
  for (let match = word.exec(line); match; match = word.exec(line)) {
    const raw = match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? '');
    words.push(raw.replace(/%%/g, '%').replace(/\$\$/g, '$'));
  }
  return words;
}

/** The <string>s of the plist's ProgramArguments array. */
function plistArguments(content: string): string[] | undefined {
  const array = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(content)?.[1];
  if (array === undefined) return undefined;
  return [...array.matchAll(/<string>([\s\S]*?)<\/string>/g)].map((m) => xmlUnescape(m[1] ?? ''));
}

/**
 * <Command> then the words of <Arguments>, read as CommandLineToArgvW reads them; a console host in front
 * (`conhost.exe --headless node.exe …`) is skipped, so the words start at node.
 */
function taskArguments(content: string): string[] | undefined {
  const command = /<Command>([\s\S]*?)<\/Command>/.exec(content)?.[1];
  const args = /<Arguments>([\s\S]*?)<\/Arguments>/.exec(content)?.[1];
  if (command === undefined || args === undefined) return undefined;
  const words = [xmlUnescape(command), ...windowsArgs(xmlUnescape(args))];
  const hosted = /(^|[\\/])conhost(\.exe)?$/i.test(words[0] ?? '') && words[1] === '--headless';
  return hosted ? words.slice(2) : words;
}

function xmlUnescape(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The arguments of a Windows command line: backslashes are literal unless they precede a quote. */
function windowsArgs(line: string): string[] {
  const words: string[] = [];
  let text = line.trimStart();
  while (text.length > 0) {
    const { word, rest } = firstWindowsArg(text);
    words.push(word);
    text = rest.trimStart();
  }
  return words;
}

/** The first argument of a Windows command line and what follows it. */
function firstWindowsArg(text: string): { word: string; rest: string } {
  let out = '';
  let quoted = false;
  let i = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      let n = 0;
      while (text[i + n] === '\\') n++;
      if (text[i + n] === '"') {
        out += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) out += '"';
        else quoted = !quoted;
        i += n;
      } else {
        out += '\\'.repeat(n);
        i += n - 1;
      }
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && /\s/.test(c ?? '')) {
      break;
    } else {
      out += c;
    }
  }
  return { word: out, rest: text.slice(i) };
}
