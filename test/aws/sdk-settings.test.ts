// The AWS SDK's own settings, resolved by keyrot from the environment and the profile being rotated
// (src/aws/sdk-settings.ts): their order, and that the real SDK's clients follow them over HTTP to the
// emulator without reading a config file of their own.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamApi } from '../../src/aws/clients.js';
import { type SdkSettings, sdkSettings } from '../../src/aws/sdk-settings.js';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { tempDir } from '../support/cleanup.js';

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

describe('the SDK clients with those settings (real SDK, emulator)', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => emulator?.close());

  async function listWith(sdk: SdkSettings) {
    const { keys } = await emulator.admin.seedUser({ user: `sdk-${Math.random().toString(36).slice(2, 8)}` });
    const iam = new IamApi({ region: 'us-east-1', iamEndpoint: emulator.url, maxAttempts: 1, sdk });
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

  it("reads no config file of its own (the default profile's setting there is not the rotated profile's)", async () => {
    const dir = await tempDir('sdk-settings');
    const config = path.join(dir, 'config');
    await writeFile(config, '[default]\nuse_fips_endpoint = true\n', { mode: 0o600 });
    const saved = process.env.AWS_CONFIG_FILE;
    process.env.AWS_CONFIG_FILE = config;
    try {
      await expect(listWith(sdkSettings({}, {}))).resolves.toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.AWS_CONFIG_FILE;
      else process.env.AWS_CONFIG_FILE = saved;
    }
  });
});
