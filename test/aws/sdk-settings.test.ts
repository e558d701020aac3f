// The AWS SDK's own settings, resolved by keyrot from the environment and the profile being rotated
// (src/aws/sdk-settings.ts): their order, that the real SDK's clients follow them over HTTP to the
// emulator, and that the SDK then reads no shared config or credentials file of its own.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamApi } from '../../src/aws/clients.js';
import { type SdkSettings, sdkSettings } from '../../src/aws/sdk-settings.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import type { KeyrotError } from '../../src/errors/keyrot-error.js';
import { tempDir } from '../support/cleanup.js';
import { describeWith } from '../support/real-part.js';
import { createWorld, profileBlock } from '../support/world.js';

describe('sdkSettings', () => {
  it("takes each setting from the environment, then the profile, else the SDK's default", async () => {
    const fromProfile = sdkSettings(
      {},
      {
        use_fips_endpoint: 'true',
        use_dualstack_endpoint: 'true',
        retry_mode: 'adaptive',
        defaults_mode: 'standard',
        disable_clock_skew_correction: 'true',
        sdk_ua_app_id: 'from-profile',
      },
    );
    expect(fromProfile).toMatchObject({
      useFipsEndpoint: true,
      useDualstackEndpoint: true,
      retryMode: 'adaptive',
      defaultsMode: 'standard',
      disableClockSkewCorrection: true,
    });
    expect(await fromProfile.userAgentAppId()).toBe('from-profile');

    const env = {
      AWS_USE_FIPS_ENDPOINT: 'false',
      AWS_RETRY_MODE: 'legacy',
      AWS_DISABLE_CLOCK_SKEW_CORRECTION: 'false',
      AWS_SDK_UA_APP_ID: 'from-env',
    };
    const fromEnv = sdkSettings(env, { use_fips_endpoint: 'true', retry_mode: 'adaptive' });
    expect(fromEnv).toMatchObject({ useFipsEndpoint: false, retryMode: 'legacy' });
    expect(await fromEnv.userAgentAppId()).toBe('from-env');

    const defaults = sdkSettings({});
    expect(defaults).toMatchObject({
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
      retryMode: 'standard',
      defaultsMode: 'legacy',
      disableClockSkewCorrection: false,
      authSchemePreference: [],
    });
    expect(await defaults.userAgentAppId()).toBeUndefined();
  });
});

describe('a boolean setting that is neither true nor false', () => {
  it('is refused with CONFIG_INVALID naming where it came from, as the SDK refuses it', () => {
    const refusal = (env: NodeJS.ProcessEnv, profile: Record<string, string>) => {
      try {
        sdkSettings(env, profile);
      } catch (error) {
        return error as KeyrotError;
      }
      throw new Error('not refused');
    };
    const fromProfile = refusal({}, { use_fips_endpoint: 'True' });
    expect(fromProfile.code).toBe('CONFIG_INVALID');
    expect(fromProfile.message).toMatch(/use_fips_endpoint in the profile's settings is "True"/);
    const fromEnv = refusal({ AWS_USE_DUALSTACK_ENDPOINT: 'yes' }, {});
    expect(fromEnv.code).toBe('CONFIG_INVALID');
    expect(fromEnv.message).toMatch(/the variable AWS_USE_DUALSTACK_ENDPOINT is "yes"/);
  });

  it('an empty variable counts as not set: the profile decides', () => {
    expect(sdkSettings({ AWS_USE_FIPS_ENDPOINT: '' }, { use_fips_endpoint: 'true' }).useFipsEndpoint).toBe(
      true,
    );
  });
});

describe('the SDK clients with those settings (real SDK, emulator)', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => emulator?.close());

  async function listWith(sdk: SdkSettings) {
    const { keys } = await emulator.admin.seedUser({ user: `sdk-${Math.random().toString(36).slice(2, 8)}` });
    const iam = new IamApi({
      region: 'us-east-1',
      iamEndpoint: emulator.url,
      maxAttempts: 1,
      sdk: () => sdk,
    });
    try {
      return await iam.listAccessKeys(keys[0]!, '');
    } finally {
      iam.destroy();
    }
  }

  it("follows the rotated profile's setting (FIPS refuses a custom endpoint)", async () => {
    await expect(listWith(sdkSettings({}, { use_fips_endpoint: 'true' }))).rejects.toThrow(/FIPS/);
    await expect(listWith(sdkSettings({}, {}))).resolves.toHaveLength(1);
  });
});

// In a process of its own, as the SDK resolves some settings once per process: `keyrot status`, whose
// own reads of the AWS files the flags point at the world's files, while the SDK's (AWS_CONFIG_FILE,
// AWS_SHARED_CREDENTIALS_FILE) lead to FIFOs nobody writes, where a read would block the request.
describeWith('builtCli')('the SDK in a keyrot run', () => {
  it('refuses to rotate a profile whose own setting is bad, and rotates another although the default profile has one', async () => {
    const w = await createWorld({ label: 'sdk-bad-flag' });
    const bad = await w.seed('sdk-bad-flag', { keyAgeDays: 100 });
    const good = await w.seed('sdk-good-flag', { keyAgeDays: 100 });
    await w.writeCredentials(
      `${profileBlock('default', bad.keys[0]!)}\n${profileBlock('good', good.keys[0]!)}`,
    );
    await w.writeConfig('[default]\nuse_fips_endpoint = True\n\n[profile good]\nregion = us-east-1\n');

    const refused = await w.run(['rotate-now', '--profile', 'default', '--force']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/use_fips_endpoint in the profile's settings is "True"/);
    expect((await w.currentKey('default')).accessKeyId).toBe(bad.keys[0]!.accessKeyId);

    const rotated = await w.run(['rotate-now', '--profile', 'good', '--force']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect((await w.currentKey('good')).accessKeyId).not.toBe(good.keys[0]!.accessKeyId);
  });
  it.skipIf(process.platform === 'win32')(
    'reads no shared config or credentials file of its own',
    async () => {
      const w = await createWorld({ label: 'sdk-no-read' });
      const user = await w.seed('sdk-no-read', { keyAgeDays: 10 });
      await w.writeCredentials(profileBlock('p', user.keys[0]!));
      await w.writeConfig('[profile p]\nregion = us-east-1\n');
      const dir = await tempDir('sdk-no-read-fifos');
      const fifos = {
        AWS_CONFIG_FILE: path.join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
      };
      for (const fifo of Object.values(fifos)) execFileSync('mkfifo', ['-m', '600', fifo]);
      try {
        const args = [
          'status',
          '--json',
          '--aws-config-file',
          w.configFile,
          '--credentials-file',
          w.credentialsFile,
        ];
        const run = await w.run(args, { env: fifos, timeoutMs: 15_000 });
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout).profiles).toMatchObject([{ profile: 'p', note: null }]);
      } finally {
        // A read that did start waits for a writer: one that opens and closes the FIFO ends it.
        for (const fifo of Object.values(fifos)) {
          try {
            closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {
            // ENXIO: nobody is reading it.
          }
        }
      }
    },
  );
});
