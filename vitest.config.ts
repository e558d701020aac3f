import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every temp entry of the run lives in a private TMPDIR, and the run fails when tests leave any behind;
    // each file's registered temp dirs and processes are removed when it ends (test/support/cleanup.ts).
    globalSetup: ['test/support/leftover-check.ts'],
    setupFiles: ['test/support/file-cleanup.ts'],
    // Generous: real parts (keyring, systemd, Xvfb, spawned CLIs) are slow on a loaded 2-core CI machine;
    // a passing test is no slower for it. Tests that need more say so themselves.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Real-part suites (keychain, systemd, AWS CLI) share session daemons; files run in parallel on 2 cores.
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
