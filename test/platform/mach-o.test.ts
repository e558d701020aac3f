// Reading a macOS executable's CPU types from its Mach-O header, checked against the prebuilt helpers
// keyrot ships and against `file` (libmagic) as an independent reader.
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cannotRunReason, macCpu, type RunProgram } from '../../src/platform/mac-cpu.js';
import { MACH_O_HEADER_BYTES, machOArchitectures } from '../../src/platform/mach-o.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';

const require = createRequire(import.meta.url);
const TERMINAL_NOTIFIER = path.join(
  path.dirname(require.resolve('node-notifier/package.json')),
  'vendor/mac.noindex/terminal-notifier.app/Contents/MacOS/terminal-notifier',
);
const TRAY_HELPER = path.join(
  path.dirname(require.resolve('systray2/package.json')),
  'traybin/tray_darwin_release',
);

const X86_64 = 0x01000007;
const ARM64 = 0x0100000c;

/** A mach_header_64 (little-endian, as on Intel and Apple silicon) for one CPU type. */
function thin(cpuType: number): Buffer {
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeInt32LE(cpuType, 4);
  // cpusubtype: CPU_SUBTYPE_X86_64_ALL (3) or CPU_SUBTYPE_ARM64_ALL (0).
  header.writeInt32LE(cpuType === X86_64 ? 3 : 0, 8);
  header.writeUInt32LE(2, 12); // MH_EXECUTE
  return header;
}

/** A universal file (big-endian fat header and fat_arch entries) holding a thin file per CPU type. */
function universal(cpuTypes: number[]): Buffer {
  const page = 4096;
  const head = Buffer.alloc(page);
  head.writeUInt32BE(0xcafebabe, 0);
  head.writeUInt32BE(cpuTypes.length, 4);
  cpuTypes.forEach((type, i) => {
    const at = 8 + i * 20;
    head.writeInt32BE(type, at);
    head.writeInt32BE(type === X86_64 ? 3 : 0, at + 4);
    head.writeUInt32BE(page * (i + 1), at + 8);
    head.writeUInt32BE(32, at + 12);
    head.writeUInt32BE(12, at + 16);
  });
  return Buffer.concat([
    head,
    ...cpuTypes.map((type) => Buffer.concat([thin(type), Buffer.alloc(page - 32)])),
  ]);
}

describe('machOArchitectures', () => {
  it('reads the helpers keyrot ships as x86_64 only', async () => {
    for (const file of [TERMINAL_NOTIFIER, TRAY_HELPER]) {
      const head = (await readFile(file)).subarray(0, MACH_O_HEADER_BYTES);
      expect(machOArchitectures(head)).toEqual(['x86_64']);
    }
  });

  it('reads thin and universal files, and refuses what is not Mach-O', () => {
    expect(machOArchitectures(thin(ARM64))).toEqual(['arm64']);
    expect(machOArchitectures(universal([X86_64, ARM64]))).toEqual(['x86_64', 'arm64']);
    expect(machOArchitectures(Buffer.from('\x7fELF\x02\x01\x01\0', 'latin1'))).toBeNull();
    expect(machOArchitectures(Buffer.from('MZ\x90\0\x03\0\0\0', 'latin1'))).toBeNull();
    // A Java class file shares the fat magic; its "count" is a version number.
    expect(machOArchitectures(Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x41]))).toBeNull();
    expect(machOArchitectures(Buffer.alloc(3))).toBeNull();
  });
});

const libmagic = describeWith('fileCommand');
libmagic('machOArchitectures agrees with file(1)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('macho');
  });

  it('on the shipped helpers and on thin and universal samples', async () => {
    const samples: [string, Buffer][] = [
      ['thin-arm64', thin(ARM64)],
      ['thin-x86_64', thin(X86_64)],
      ['universal', universal([X86_64, ARM64])],
    ];
    const files = [TERMINAL_NOTIFIER, TRAY_HELPER];
    for (const [name, bytes] of samples) {
      const file = path.join(dir, name);
      await writeFile(file, bytes);
      files.push(file);
    }
    for (const file of files) {
      const described = spawnSync('file', ['-b', file], { encoding: 'utf8' }).stdout;
      const fromFile = [...described.matchAll(/Mach-O 64-bit (\w+) executable/g)].map((m) => m[1]);
      const ours = machOArchitectures((await readFile(file)).subarray(0, MACH_O_HEADER_BYTES));
      expect(ours, `${path.basename(file)}: file(1) says ${described.trim()}`).toEqual(fromFile);
    }
  });
});

describe('macCpu and cannotRunReason (an injected Mac)', () => {
  /** A Mac as sysctl and arch answer on it. */
  function mac(options: { appleSilicon: boolean; rosetta: boolean; translated?: boolean }): RunProgram {
    return async (command, args) => {
      if (command.endsWith('sysctl') && args[1] === 'hw.optional.arm64') {
        return options.appleSilicon ? { code: 0, stdout: '1\n' } : { code: 1, stdout: '' };
      }
      if (command.endsWith('sysctl') && args[1] === 'sysctl.proc_translated') {
        return { code: 0, stdout: options.translated ? '1\n' : '0\n' };
      }
      if (command.endsWith('arch'))
        return { code: options.rosetta || !options.appleSilicon ? 0 : 1, stdout: '' };
      throw new Error(`unexpected ${command}`);
    };
  }

  it('an Intel Mac runs x86_64 helpers; Apple silicon only with Rosetta 2', async () => {
    const intel = await macCpu(mac({ appleSilicon: false, rosetta: false }));
    const withRosetta = await macCpu(mac({ appleSilicon: true, rosetta: true }));
    const without = await macCpu(mac({ appleSilicon: true, rosetta: false }));
    const translated = await macCpu(mac({ appleSilicon: true, rosetta: true, translated: true }));
    expect(intel).toEqual({ appleSilicon: false, runsX86_64: true, translated: false });
    expect(withRosetta).toEqual({ appleSilicon: true, runsX86_64: true, translated: false });
    expect(without).toEqual({ appleSilicon: true, runsX86_64: false, translated: false });
    expect(translated).toEqual({ appleSilicon: true, runsX86_64: true, translated: true });
    expect(cannotRunReason(['x86_64'], intel)).toBeNull();
    expect(cannotRunReason(['x86_64'], withRosetta)).toBeNull();
    expect(cannotRunReason(['x86_64'], without)).toBe(
      'it is built for x86_64 only, and this Mac has Apple silicon and Rosetta 2 is not installed',
    );
    expect(cannotRunReason(['x86_64', 'arm64'], without)).toBeNull();
    expect(cannotRunReason(['arm64'], intel)).toBe(
      'it is built for arm64 only, and this Mac has an Intel CPU',
    );
  });
});
