import { loadedFrom, type LoadedConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { Setting } from '../config/source.js';
import type { Sandbox } from '../sandbox/server.js';

/** The sandbox's own configuration, shaped exactly like one loaded from a .env file. */
export function sandboxConfig(sandbox: Sandbox): LoadedConfig {
  const setting = (name: string, value: string): Setting => ({ name, value, source: { kind: 'sandbox' } });
  const config: ResolvedConfig = {
    settings: {
      host: setting('SMTP_HOST', sandbox.host),
      port: setting('SMTP_PORT', String(sandbox.port)),
      user: setting('SMTP_USER', sandbox.user),
      password: setting('SMTP_PASSWORD', sandbox.password),
      sender: setting('SMTP_SENDER', sandbox.sender),
      secure: setting('SMTP_SECURE', '0'),
    },
    files: [],
    notes: [],
  };
  return loadedFrom(config);
}
