import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';

/** The AWS SDK's own reading of `text` as a credentials file and as a config file (read from disk, no cache). */
export async function sdkReading(
  dir: string,
  text: string | Buffer,
): Promise<{
  credentials: Record<string, Record<string, string>>;
  config: Record<string, Record<string, string>>;
}> {
  const file = join(dir, 'oracle-file');
  await writeFile(file, text);
  const { credentialsFile, configFile } = await loadSharedConfigFiles({
    filepath: file,
    configFilepath: file,
    ignoreCache: true,
  });
  return {
    credentials: credentialsFile as Record<string, Record<string, string>>,
    config: configFile as Record<string, Record<string, string>>,
  };
}

/** A Map reading as a plain object, comparable with the SDK's. */
export function asObject(
  reading: Map<string, Record<string, string>>,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, values] of reading) Object.defineProperty(out, name, { value: values, enumerable: true });
  return out;
}
