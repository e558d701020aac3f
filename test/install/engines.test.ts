// What keyrot says it runs on is what CI runs it on: package.json's engines, the Node versions .ci/run
// installs besides the machine's, and doctor's view of a node version.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDoctorChecks } from '../../src/commands/doctor.js';
import { MIN_NODE_MAJOR, TESTED_NODE_MAJORS } from '../../src/service/node-path.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const engines = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines.node;
const ci = readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');

describe('the Node versions keyrot is tested on', () => {
  it("engines names exactly the tested majors, the oldest being doctor's minimum", () => {
    const majors = engines.split('||').map((range) => Number(/^\s*\^(\d+)\./.exec(range)?.[1]));
    expect(majors).toEqual([...TESTED_NODE_MAJORS]);
    expect(Math.min(...majors)).toBe(MIN_NODE_MAJOR);
  });

  it(".ci/run runs the suite on the machine's Node 20 and fetches the other tested majors", () => {
    const fetched = [...ci.matchAll(/^fetch_node (\d+) &$/gm)].map((m) => Number(m[1]));
    expect([MIN_NODE_MAJOR, ...fetched].sort()).toEqual([...TESTED_NODE_MAJORS].sort());
    expect(ci).toContain('node24 npm test');
    expect(ci).toMatch(/node22 smoke/);
  });

  it('doctor: an older node fails, an untested newer one warns, a tested one passes', async () => {
    const ctx = {
      globals: { verbose: false },
      io: {
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        stdin: new PassThrough(),
        isTTY: false,
        env: { HOME: '/nonexistent-keyrot-engines-test' },
      },
    };
    const nodeLine = async (version: string) =>
      (
        await runDoctorChecks(ctx, { nodeVersion: version, openKeychain: async () => ({}), run: noService })
      )[0];
    expect(await nodeLine('18.20.0')).toMatchObject({ level: 'fail' });
    expect(await nodeLine('25.1.0')).toMatchObject({
      level: 'warn',
      text: 'node 25.1.0: keyrot is tested on Node 20, 22, 24, not 25',
    });
    expect(await nodeLine('22.12.0')).toEqual({ level: 'ok', text: 'node 22.12.0' });
  });
});

const noService = async () => ({ code: 1, stdout: '', stderr: 'not found' });
