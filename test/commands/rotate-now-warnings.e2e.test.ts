// A warning from the rewrite (the credentials file was readable by others and is written back 0600)
// reaches the person running rotate-now, in text and in --json, through the built CLI.
import { chmod, stat } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { describeWith } from '../support/real-part.js';
import { suiteWorlds } from './harness.js';

describeWith('secretService')('rotate-now shows the rewrite warnings', { concurrent: true }, () => {
  const { secrets, seededWorld } = suiteWorlds();
  /** A world whose credentials file (profile p, a 100-day-old key) is mode 0644. */
  const looseWorld = async (user: string) => {
    const { w } = await seededWorld(user);
    await chmod(w.credentialsFile, 0o644);
    return w;
  };
  const warning = 'was readable by others (mode 0644); keyrot wrote it back as 0600';

  it('in text: on stderr', async () => {
    const w = await looseWorld('loose-text');
    const result = await w.run(['rotate-now', '--profile', 'p']);
    expect(result.code, result.stderr).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    expect(result.stderr).toContain(`${w.credentialsFile} ${warning}`);
    expect((await stat(w.credentialsFile)).mode & 0o777).toBe(0o600);
  });

  it('in --json: in the profile document', async () => {
    const w = await looseWorld('loose-json');
    const result = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(result.code, result.stderr).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    const doc = JSON.parse(result.stdout).profiles[0];
    expect(doc.warnings).toEqual([`${w.credentialsFile} ${warning}.`]);
  });

  // The config file holds profile p's region with an inline comment: the AWS CLI reads the comment too.
  const commentedWorld = async (user: string) => {
    const { w } = await seededWorld(user);
    await w.writeConfig('[profile p]\nregion = us-east-1 # N. Virginia\n');
    return w;
  };
  const readers = (w: { configFile: string }) =>
    `the AWS CLI does not read profile p as keyrot does: ${w.configFile}:2 (the AWS CLI reads another value of region); \`keyrot doctor\` says how to fix each place`;

  it('in text: once on stderr when the AWS CLI reads the profile otherwise', async () => {
    const w = await commentedWorld('readers-text');
    const result = await w.run(['rotate-now', '--profile', 'p']);
    expect(result.code, result.stderr).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    expect(result.stderr.split(readers(w))).toHaveLength(2);
  });

  it('in --json: once in the profile document', async () => {
    const w = await commentedWorld('readers-json');
    const result = await w.run(['rotate-now', '--profile', 'p', '--json']);
    expect(result.code, result.stderr).toBe(0);
    secrets.push((await w.currentKey('p')).secretAccessKey);
    expect(JSON.parse(result.stdout).profiles[0].warnings).toEqual([readers(w)]);
  });
});
