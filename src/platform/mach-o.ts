// Which CPUs a macOS executable is built for, read from its Mach-O header (Apple's <mach-o/loader.h>
// and <mach-o/fat.h>): a thin file names one CPU type, a universal ("fat") file lists several. keyrot
// ships two prebuilt macOS helpers it did not build (node-notifier's terminal-notifier and systray2's tray
// helper); both are x86_64 only, which an Apple silicon Mac runs only through Rosetta 2.

/** The CPU architectures Apple names, by Mach-O cpu_type_t. */
const CPU_TYPES: Record<number, string> = {
  7: 'i386',
  16777223: 'x86_64',
  12: 'arm',
  16777228: 'arm64',
  33554444: 'arm64_32',
  18: 'ppc',
  16777234: 'ppc64',
};

const MH_MAGIC = 0xfeedface;
const MH_MAGIC_64 = 0xfeedfacf;
const FAT_MAGIC = 0xcafebabe;
const FAT_MAGIC_64 = 0xcafebabf;
/** More architectures than this in a fat header means it is not one (Java class files share the magic). */
const MAX_FAT_ARCHS = 32;

/** How many bytes of a file readMachOArchitectures needs at most (a fat header with MAX_FAT_ARCHS entries). */
export const MACH_O_HEADER_BYTES = 8 + MAX_FAT_ARCHS * 32;

function cpuName(type: number): string {
  return CPU_TYPES[type >>> 0] ?? `cpu type 0x${(type >>> 0).toString(16)}`;
}

/**
 * The architectures of a Mach-O file from its first bytes (at least MACH_O_HEADER_BYTES, or the whole
 * file), e.g. ['x86_64'] or ['x86_64', 'arm64']; null when the bytes are not a Mach-O executable.
 */
export function machOArchitectures(head: Uint8Array): string[] | null {
  if (head.length < 8) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const big = view.getUint32(0, false);
  const little = view.getUint32(0, true);
  // A thin file: its header is in the byte order of its CPU, so the magic reads right one way.
  if (little === MH_MAGIC || little === MH_MAGIC_64) return [cpuName(view.getUint32(4, true))];
  if (big === MH_MAGIC || big === MH_MAGIC_64) return [cpuName(view.getUint32(4, false))];
  // A universal file: its header is always big-endian; fat_arch is 20 bytes, fat_arch_64 32.
  if (big === FAT_MAGIC || big === FAT_MAGIC_64) {
    const count = view.getUint32(4, false);
    const entry = big === FAT_MAGIC ? 20 : 32;
    if (count === 0 || count > MAX_FAT_ARCHS || head.length < 8 + count * entry) return null;
    return Array.from({ length: count }, (_, i) => cpuName(view.getUint32(8 + i * entry, false)));
  }
  return null;
}
