import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkSmtp } from '../../src/smtp/walk.js';
import { TranscriptRecorder } from '../../src/report/transcript.js';
import { localhostCert } from '../fixtures/certs.js';
import { defaultPassword, defaultUser, startTestServer, type TestServer } from '../fixtures/smtp-server.js';

describe('fixture smoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('records commands after STARTTLS and no DATA in envelope mode', async () => {
    const result = await walkSmtp({
      host: '127.0.0.1',
      port: server.port,
      secure: false,
      user: defaultUser,
      password: defaultPassword,
      senderAddress: 'a@example.com',
      senderHeader: 'a@example.com',
      recipient: 'b@example.com',
      timeoutMs: 3000,
      deliver: false,
      ca: (await localhostCert()).cert,
      recorder: new TranscriptRecorder(),
    });
    expect(result.ok).toBe(true);
    // QUIT is sent as the walk resolves and may reach the server a moment later.
    expect(server.log.commands.slice(0, 7)).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'MAIL', 'RCPT', 'RSET']);
    expect(server.log.commands).not.toContain('DATA');
    expect(server.log.messages).toHaveLength(0);
  });
});
