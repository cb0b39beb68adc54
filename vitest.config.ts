import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // test/mta/ runs the built CLI against real Postfix, Dovecot and Exim on loopback: installed by
    // scripts/mta/install.sh (root, Debian 12; .ci/run does it), skipped with that hint elsewhere.
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers on loopback; give slow CI machines room.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
