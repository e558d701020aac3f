// doctor's check that the AWS CLI reads the AWS files as the SDK (and keyrot) do: one line per place where
// they differ, with the file, the line, the reader affected and the fix.
import type { AwsFilePaths } from '../credentials/paths.js';
import {
  type ReaderDifference,
  readerSectionLabel,
  readFilesReaderDifferences,
} from '../credentials/reader-differences.js';
import { describeError, messageWithPlace } from '../errors/describe-error.js';
import type { CheckResult } from './doctor-result.js';

/** The reader-difference lines of doctor's checklist (one ok line when the readers agree). */
export async function checkReaders(paths: AwsFilePaths): Promise<CheckResult[]> {
  let differences: ReaderDifference[];
  try {
    differences = await readFilesReaderDifferences(paths);
  } catch (error) {
    // The files' own check reports an unreadable file; this only says the comparison did not run.
    return [
      {
        level: 'warn',
        text: `the AWS CLI's reading was not compared: ${messageWithPlace(describeError(error))}`,
      },
    ];
  }
  if (differences.length === 0) {
    return [{ level: 'ok', text: 'the AWS CLI and the SDK (keyrot) read the AWS files alike' }];
  }
  return differences.map((difference) => readerCheck(difference));
}

/** One reader difference as a checklist line: the SDK failing is keyrot's problem, the rest the AWS CLI's. */
export function readerCheck(difference: ReaderDifference): CheckResult {
  const { file, line, effect, profiles, keys, problem, fix } = difference;
  const who = profiles.length === 0 ? '' : ` (${profiles.map(readerSectionLabel).join(', ')})`;
  return {
    level: effect === 'sdk-fails' ? 'fail' : 'warn',
    text: `${file}:${line}: ${problem}${who}`,
    fix,
    place: { file, line },
    readers: { effect, profiles, keys },
  };
}
