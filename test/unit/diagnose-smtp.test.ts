import { describe, it, expect } from 'vitest';
import { diagnoseSmtpFailure, smtpDiagnosisIds, smtpRules } from '../../src/diagnose/smtp-rules.js';
import type { Diagnosis, DiagnosisContext, SmtpFailure } from '../../src/diagnose/types.js';
import type { FailureClass } from '../../src/exit-codes.js';

type Names = DiagnosisContext['names'];
type NameKey = keyof Names;

const canonical: Names = {
  host: 'SMTP_HOST',
  port: 'SMTP_PORT',
  user: 'SMTP_USER',
  password: 'SMTP_PASSWORD',
  sender: 'SMTP_SENDER',
  secure: 'SMTP_SECURE',
};

/** Every name different from the canonical one, so a hard-coded name cannot pass. */
const aliases: Names = {
  host: 'MAIL_SERVER',
  port: 'MAIL_PORT',
  user: 'MAIL_LOGIN',
  password: 'SMTP_PASS',
  sender: 'SMTP_FROM_EMAIL',
  secure: 'MAIL_TLS',
};

/** Overrides of the default context; `undefined` removes a default (user: undefined = no user set). */
type ContextOver = { [K in keyof DiagnosisContext]?: DiagnosisContext[K] | undefined };

function ctxOf(over: ContextOver = {}, names: Names = canonical): DiagnosisContext {
  return withoutUndefined({
    host: 'smtp.example.com',
    port: 587,
    secure: false,
    user: 'mailer@example.com',
    sender: 'Example <noreply@example.com>',
    recipient: 'friend@example.org',
    authAdvertised: true,
    ...over,
    names,
  });
}

function withoutUndefined(ctx: ContextOver & { names: Names }): DiagnosisContext {
  return Object.fromEntries(Object.entries(ctx).filter(([, value]) => value !== undefined)) as unknown as DiagnosisContext;
}

interface Case {
  name: string;
  failure: SmtpFailure;
  ctx?: ContextOver;
  id: string;
  cls: FailureClass;
  /** Variables some fix must name (checked with canonical names and with aliases). */
  mentions?: NameKey[];
  /** The most important fix (first in the diagnosis, last in the human report), canonical names. */
  last?: RegExp;
  /** Somewhere in summary or causes, canonical names. */
  explains?: RegExp;
  summary?: RegExp;
}

function allText(d: Diagnosis): string {
  return [d.summary, ...d.causes, ...d.fixes].join('\n');
}

function runTable(cases: Case[]): void {
  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it(`is ${c.id} (${c.cls})`, () => {
      const d = diagnoseSmtpFailure(c.failure, ctxOf(c.ctx));
      expect(d.id).toBe(c.id);
      expect(d.class).toBe(c.cls);
      expect(d.serverSaid).toBe(c.failure.response?.trim() || undefined);
      expect(d.summary).not.toMatch(/[\r\n]/);
      expect(d.summary.length).toBeGreaterThan(10);
      expect(d.causes.length).toBeGreaterThan(0);
      expect(d.fixes.length).toBeGreaterThan(0);
      // Stored in priority order: the most important fix first (the human report prints it last).
      if (c.last) expect(d.fixes[0]).toMatch(c.last);
      if (c.explains) expect([d.summary, ...d.causes].join('\n')).toMatch(c.explains);
      if (c.summary) expect(d.summary).toMatch(c.summary);
      for (const key of c.mentions ?? []) {
        expect(
          d.fixes.some((f) => f.includes(canonical[key])),
          `a fix names ${canonical[key]}`,
        ).toBe(true);
      }
    });

    it("speaks in the user's own variable names", () => {
      const d = diagnoseSmtpFailure(c.failure, ctxOf(c.ctx, aliases));
      expect(d.id).toBe(c.id);
      for (const key of c.mentions ?? []) {
        expect(
          d.fixes.some((f) => f.includes(aliases[key])),
          `a fix names ${aliases[key]}`,
        ).toBe(true);
      }
      const text = allText(d);
      for (const name of Object.values(canonical)) expect(text).not.toContain(name);
    });
  });
}

// ------------------------------------------------------------------------------------------------

describe('port and TLS mode mismatch', () => {
  runTable([
    {
      name: 'SMTP_SECURE=1 on 587, OpenSSL 3.0 wrong version number',
      failure: {
        stage: 'tls',
        code: 'ESOCKET',
        originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER',
        message: 'C0D7A1F8B07F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:354:\n',
      },
      ctx: { port: 587, secure: true },
      id: 'tls.implicit-on-starttls-port',
      cls: 'tls',
      mentions: ['secure', 'port'],
      last: /set SMTP_SECURE=0\b.*587/,
      summary: /smtp\.example\.com:587/,
    },
    {
      name: 'SMTP_SECURE=1 on 587, OpenSSL 3.2 text only (no originalCode)',
      failure: {
        stage: 'connect',
        code: 'ESOCKET',
        message: '40B8C1E3:error:0A00010B:SSL routines:tls_validate_record_header:wrong version number:ssl/record/methods/tlsany_meth.c:80:',
      },
      ctx: { port: 587, secure: true },
      id: 'tls.implicit-on-starttls-port',
      cls: 'tls',
      last: /SMTP_SECURE=0/,
    },
    {
      name: 'SMTP_SECURE=1 on 25, older stack: SSL23_GET_SERVER_HELLO unknown protocol',
      failure: {
        stage: 'tls',
        code: 'ESOCKET',
        originalCode: 'EPROTO',
        message: 'write EPROTO 140:error:140770FC:SSL routines:SSL23_GET_SERVER_HELLO:unknown protocol:s23_clnt.c:794:',
      },
      ctx: { port: 25, secure: true },
      id: 'tls.implicit-on-starttls-port',
      cls: 'tls',
      mentions: ['secure'],
      last: /SMTP_SECURE=0/,
    },
    {
      name: 'SMTP_SECURE=1 on 587, socket closed before the TLS handshake finished',
      failure: {
        stage: 'tls',
        code: 'ESOCKET',
        originalCode: 'ECONNRESET',
        message: 'Client network socket disconnected before secure TLS connection was established',
      },
      ctx: { port: 587, secure: true },
      id: 'tls.implicit-on-starttls-port',
      cls: 'tls',
      last: /SMTP_SECURE=0/,
    },
    {
      name: 'wrong version number on 465 with SMTP_SECURE=1: the server is not speaking TLS',
      failure: {
        stage: 'tls',
        code: 'ESOCKET',
        originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER',
        message: 'error:0A00010B:SSL routines:ssl3_get_record:wrong version number',
      },
      ctx: { port: 465, secure: true },
      id: 'tls.implicit-on-starttls-port',
      cls: 'tls',
      mentions: ['host'],
      explains: /not speaking TLS/,
    },
    {
      name: 'SMTP_SECURE=0 on 465: greeting never received',
      failure: { stage: 'greeting', code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', message: 'Greeting never received' },
      ctx: { port: 465, secure: false },
      id: 'tls.plaintext-on-implicit-port',
      cls: 'tls',
      mentions: ['secure'],
      last: /^set SMTP_SECURE=1 for port 465$/,
      summary: /smtp\.example\.com:465/,
    },
    {
      name: 'SMTP_SECURE=0 on 2465: greeting never received (ETIMEDOUT at greeting, no timeoutType)',
      failure: { stage: 'greeting', code: 'ETIMEDOUT', message: 'Greeting never received' },
      ctx: { port: 2465, secure: false, host: 'smtp.resend.com', provider: 'resend' },
      id: 'tls.plaintext-on-implicit-port',
      cls: 'tls',
      last: /SMTP_SECURE=1/,
    },
    {
      name: 'SMTP_SECURE=0 on 465: server gives up and closes before greeting',
      failure: { stage: 'greeting', code: 'ECONNECTION', message: 'Connection closed unexpectedly' },
      ctx: { port: 465, secure: false },
      id: 'tls.plaintext-on-implicit-port',
      cls: 'tls',
      last: /SMTP_SECURE=1/,
    },
    {
      name: 'greeting timeout on 587 is not a mismatch',
      failure: { stage: 'greeting', code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', message: 'Greeting never received' },
      ctx: { port: 587, secure: false },
      id: 'greeting.timeout',
      cls: 'network',
      mentions: ['port', 'secure'],
      explains: /implicit TLS.*SMTP_SECURE=1/,
      summary: /smtp\.example\.com:587/,
    },
    {
      name: 'greeting timeout on 465 with SMTP_SECURE=1 does not suggest SMTP_SECURE=1',
      failure: { stage: 'greeting', code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', message: 'Greeting never received' },
      ctx: { port: 465, secure: true },
      id: 'greeting.timeout',
      cls: 'network',
      mentions: ['port'],
    },
  ]);

  it('greeting timeout with TLS on does not tell the user to turn TLS on', () => {
    const d = diagnoseSmtpFailure(
      { stage: 'greeting', code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', message: 'Greeting never received' },
      ctxOf({ port: 465, secure: true }),
    );
    expect(allText(d)).not.toContain('SMTP_SECURE=1');
  });

  it('a mismatch fix on 587 also offers 465 with implicit TLS, but not first', () => {
    const d = diagnoseSmtpFailure(
      { stage: 'tls', code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' },
      ctxOf({ port: 587, secure: true }),
    );
    expect(d.fixes).toHaveLength(2);
    expect(d.fixes.at(-1)).toMatch(/SMTP_PORT=465 with SMTP_SECURE=1/);
  });
});

// ------------------------------------------------------------------------------------------------

describe('network', () => {
  runTable([
    {
      name: 'connect timeout (blocked egress)',
      failure: { stage: 'connect', code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT', message: 'Connection timeout' },
      ctx: { port: 25 },
      id: 'network.timeout',
      cls: 'network',
      mentions: ['port', 'secure', 'host'],
      last: /try another port: SMTP_PORT=587 with SMTP_SECURE=0.*SMTP_PORT=465 with SMTP_SECURE=1/,
      explains: /blocked/,
      summary: /smtp\.example\.com:25 did not answer/,
    },
    {
      name: 'connect ETIMEDOUT ip:465 from the OS',
      failure: { stage: 'connect', code: 'ESOCKET', originalCode: 'ETIMEDOUT', message: 'connect ETIMEDOUT 52.20.1.4:465' },
      ctx: { port: 465, secure: true },
      id: 'network.timeout',
      cls: 'network',
      mentions: ['port'],
      last: /SMTP_PORT=587 with SMTP_SECURE=0/,
    },
    {
      name: 'Resend on port 25 times out',
      failure: { stage: 'connect', code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT', message: 'Connection timeout' },
      ctx: { port: 25, host: 'smtp.resend.com', provider: 'resend', user: 'resend' },
      id: 'network.timeout',
      cls: 'network',
      explains: /Resend does not support port 25/,
    },
    {
      name: 'IPv6-only failure: connect ENETUNREACH 2603:...:587',
      failure: {
        stage: 'connect',
        code: 'ESOCKET',
        originalCode: 'ENETUNREACH',
        message: 'connect ENETUNREACH 2603:1036:3000:1::2:587 - Local (:::0)',
      },
      ctx: { host: 'smtp.office365.com', provider: 'office365' },
      id: 'network.unreachable',
      cls: 'network',
      mentions: ['host'],
      summary: /IPv6/,
      explains: /no IPv6 route/,
    },
    {
      name: '-6, and the host has no AAAA record (EAI_ADDRFAMILY)',
      failure: {
        stage: 'dns',
        code: 'EDNS',
        originalCode: 'EAI_ADDRFAMILY',
        message: 'smtp.example.com has no IPv6 address (AAAA record), only 192.0.2.10; -6 asks for IPv6',
      },
      ctx: { family: 6 },
      id: 'network.no-address-in-family',
      cls: 'network',
      mentions: ['host'],
      summary: /has no IPv6 address, so -6/,
      explains: /only 192\.0\.2\.10/,
      last: /drop -6 \(or use -4\)/,
    },
    {
      name: 'EAI_ADDRFAMILY without -4/-6 is an ordinary DNS failure',
      failure: { stage: 'dns', code: 'EDNS', originalCode: 'EAI_ADDRFAMILY', message: 'getaddrinfo EAI_ADDRFAMILY smtp.example.com' },
      id: 'network.dns',
      cls: 'network',
      mentions: ['host'],
    },
    {
      name: 'EHOSTUNREACH over IPv4',
      failure: { stage: 'connect', code: 'ESOCKET', originalCode: 'EHOSTUNREACH', message: 'connect EHOSTUNREACH 10.0.0.9:587' },
      id: 'network.unreachable',
      cls: 'network',
      mentions: ['host'],
    },
    {
      name: 'connect ECONNREFUSED',
      failure: { stage: 'connect', code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:2525' },
      ctx: { host: 'localhost', port: 2525 },
      id: 'network.refused',
      cls: 'network',
      mentions: ['port', 'host'],
      summary: /^localhost:2525 refused the connection$/,
      explains: /container/,
    },
    {
      name: 'getaddrinfo ENOTFOUND',
      failure: { stage: 'dns', code: 'EDNS', originalCode: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND smtp.gmial.com' },
      ctx: { host: 'smtp.gmial.com' },
      id: 'network.dns',
      cls: 'network',
      mentions: ['host'],
      last: /no scheme, no port/,
      summary: /smtp\.gmial\.com/,
    },
    {
      name: 'host with a scheme',
      failure: { stage: 'dns', code: 'EDNS', originalCode: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND smtp://smtp.example.com' },
      ctx: { host: 'smtp://smtp.example.com' },
      id: 'network.dns',
      cls: 'network',
      explains: /SMTP_HOST contains a scheme/,
    },
    {
      name: 'host with a port',
      failure: { stage: 'dns', code: 'EDNS', originalCode: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND smtp.example.com:587' },
      ctx: { host: 'smtp.example.com:587' },
      id: 'network.dns',
      cls: 'network',
      explains: /SMTP_HOST contains a port; put it in SMTP_PORT/,
    },
    {
      name: 'EAI_AGAIN: resolver down',
      failure: { stage: 'dns', code: 'EDNS', originalCode: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN smtp.example.com' },
      id: 'network.dns',
      cls: 'network',
      explains: /EAI_AGAIN/,
    },
    {
      name: 'connection closed unexpectedly after login',
      failure: { stage: 'mail', code: 'ECONNECTION', message: 'Connection closed unexpectedly' },
      id: 'network.closed',
      cls: 'network',
      mentions: ['port', 'secure'],
      summary: /closed the connection unexpectedly at MAIL FROM/,
    },
    {
      name: 'read ECONNRESET during DATA',
      failure: { stage: 'data', code: 'ESOCKET', originalCode: 'ECONNRESET', message: 'read ECONNRESET' },
      id: 'network.closed',
      cls: 'network',
    },
    {
      name: 'socket timeout mid-session',
      failure: { stage: 'data', code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', message: 'Timeout' },
      id: 'network.stalled',
      cls: 'network',
      mentions: ['host'],
    },
  ]);
});

// ------------------------------------------------------------------------------------------------

describe('certificates', () => {
  runTable([
    {
      name: 'self-signed certificate',
      failure: { stage: 'tls', code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' },
      ctx: { port: 465, secure: true },
      id: 'tls.self-signed',
      cls: 'tls',
      mentions: ['host'],
      explains: /self-signed/,
    },
    {
      name: 'self signed certificate in certificate chain (STARTTLS)',
      failure: {
        stage: 'starttls',
        code: 'ESOCKET',
        originalCode: 'SELF_SIGNED_CERT_IN_CHAIN',
        message: 'self signed certificate in certificate chain',
      },
      id: 'tls.self-signed-in-chain',
      cls: 'tls',
      mentions: ['host'],
      explains: /antivirus.*proxy/,
    },
    {
      name: 'self-signed in chain, text only',
      failure: { stage: 'tls', code: 'ESOCKET', message: 'self-signed certificate in certificate chain' },
      id: 'tls.self-signed-in-chain',
      cls: 'tls',
    },
    {
      name: 'unable to get local issuer certificate',
      failure: {
        stage: 'tls',
        code: 'ESOCKET',
        originalCode: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
        message: 'unable to get local issuer certificate',
      },
      id: 'tls.unknown-issuer',
      cls: 'tls',
      mentions: ['host'],
      last: /NODE_EXTRA_CA_CERTS=/,
    },
    {
      name: 'unable to get local issuer certificate, with --ca-file: the file given is what to check',
      failure: { stage: 'tls', code: 'ESOCKET', originalCode: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', message: 'unable to get local issuer certificate' },
      ctx: { customCa: true },
      id: 'tls.unknown-issuer',
      cls: 'tls',
      last: /does not chain to the CA given with --ca-file/,
    },
    {
      name: 'unable to verify the first certificate',
      failure: { stage: 'tls', code: 'ESOCKET', originalCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' },
      id: 'tls.unknown-issuer',
      cls: 'tls',
    },
    {
      name: 'certificate has expired',
      failure: { stage: 'tls', code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED', message: 'certificate has expired' },
      ctx: { host: 'localhost', port: 2525 },
      id: 'tls.expired',
      cls: 'tls',
      mentions: ['host'],
      summary: /has expired/,
      explains: /February 2025/,
    },
    {
      name: "Hostname/IP does not match certificate's altnames (alias host)",
      failure: {
        stage: 'tls',
        code: 'ESOCKET',
        originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID',
        message:
          "Hostname/IP does not match certificate's altnames: Host: mail.example.com. is not in the cert's altnames: DNS:*.hostingco.net, DNS:hostingco.net",
      },
      ctx: { host: 'mail.example.com', port: 465, secure: true },
      id: 'tls.hostname-mismatch',
      cls: 'tls',
      mentions: ['host'],
      last: /^set SMTP_HOST to the name on the certificate \(e\.g\. hostingco\.net\), not an IP or an alias$/,
      explains: /\*\.hostingco\.net, hostingco\.net/,
    },
    {
      name: 'host given as an IP address',
      failure: {
        stage: 'tls',
        code: 'ESOCKET',
        originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID',
        message: "Hostname/IP does not match certificate's altnames: IP: 203.0.113.5 is not in the cert's list: ",
      },
      ctx: { host: '203.0.113.5', port: 465, secure: true },
      id: 'tls.hostname-mismatch',
      cls: 'tls',
      mentions: ['host'],
      explains: /SMTP_HOST is an IP address/,
    },
  ]);

  it('never tells the user to switch verification off', () => {
    for (const originalCode of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'CERT_HAS_EXPIRED',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ]) {
      const d = diagnoseSmtpFailure({ stage: 'tls', code: 'ESOCKET', originalCode, message: 'x' }, ctxOf());
      expect(d.class).toBe('tls');
      const text = allText(d);
      expect(text).not.toMatch(/rejectUnauthorized\s*[:=]\s*false|NODE_TLS_REJECT_UNAUTHORIZED\s*=\s*0/);
    }
  });
});

// ------------------------------------------------------------------------------------------------

const auth = (response: string): SmtpFailure => ({
  stage: 'auth',
  code: 'EAUTH',
  responseCode: Number(response.slice(0, 3)),
  response,
  message: `Invalid login: ${response}`,
});

describe('authentication', () => {
  runTable([
    {
      name: 'Resend: 535 Invalid username (email address as user)',
      failure: auth('535 Invalid username'),
      ctx: { host: 'smtp.resend.com', port: 465, secure: true, provider: 'resend', user: 'me@example.com' },
      id: 'auth.resend-username',
      cls: 'auth',
      mentions: ['user', 'password'],
      last: /^set SMTP_USER=resend\b/,
      explains: /email address/,
    },
    {
      name: 'Resend: user "Resend" (wrong case)',
      failure: auth('535 Invalid username'),
      ctx: { host: 'smtp.resend.com', port: 465, secure: true, provider: 'resend', user: 'Resend' },
      id: 'auth.resend-username',
      cls: 'auth',
      explains: /letter case/,
    },
    {
      name: 'Resend: user resend, bad key',
      failure: auth('535 Authentication failed'),
      ctx: { host: 'smtp.resend.com', port: 465, secure: true, provider: 'resend', user: 'resend' },
      id: 'auth.resend-api-key',
      cls: 'auth',
      mentions: ['password'],
      last: /^set SMTP_PASSWORD to a Resend API key \(it starts with re_\)$/,
      explains: /revoked/,
    },
    {
      name: 'Gmail: 535-5.7.8 Username and Password not accepted',
      failure: auth(
        '535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials a640c23a62f3a-a6f0 - gsmtp',
      ),
      ctx: { host: 'smtp.gmail.com', provider: 'gmail', user: 'me@gmail.com' },
      id: 'auth.gmail-app-password',
      cls: 'auth',
      mentions: ['user', 'password'],
      last: /App Password.*SMTP_PASSWORD/,
    },
    {
      name: 'Gmail: 534-5.7.9 Application-specific password required (host not recognised)',
      failure: auth(
        '534-5.7.9 Application-specific password required. For more information, go to\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp',
      ),
      // Provider wording counts only on the provider's hosts: any server can say the same words.
      ctx: { host: 'smtp-relay.internal', user: 'me@gmail.com' },
      id: 'auth.rejected',
      cls: 'auth',
      last: /SMTP_PASSWORD/,
    },
    {
      name: 'Gmail: 534-5.7.14 Please log in via your web browser',
      failure: auth(
        '534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1> Please log in via your web browser and\n534-5.7.14 then try again.\n534 5.7.14  Learn more at https://support.google.com/mail/answer/78754 - gsmtp',
      ),
      ctx: { host: 'smtp.gmail.com', provider: 'gmail' },
      id: 'auth.gmail-app-password',
      cls: 'auth',
      explains: /browser/,
    },
    {
      name: 'Office 365: 5.7.139 SmtpClientAuthentication is disabled for the Tenant',
      failure: auth(
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [MN2PR04CA0001.namprd04.prod.outlook.com]',
      ),
      ctx: { host: 'smtp.office365.com', provider: 'office365' },
      id: 'auth.o365-smtp-auth-disabled',
      cls: 'auth',
      mentions: ['user'],
      last: /Authenticated SMTP/,
      explains: /correct password still fails/,
    },
    {
      name: 'Office 365: 5.7.139 wrong credentials is a plain rejection',
      failure: auth('535 5.7.139 Authentication unsuccessful, the user credentials were incorrect. [SN4PR...]'),
      ctx: { host: 'smtp.office365.com', provider: 'office365' },
      id: 'auth.rejected',
      cls: 'auth',
      mentions: ['user', 'password'],
      summary: /Office 365/,
    },
    {
      name: 'SES: 535 Authentication Credentials Invalid',
      failure: auth('535 Authentication Credentials Invalid'),
      ctx: { host: 'email-smtp.eu-west-1.amazonaws.com', provider: 'ses', user: 'AKIAXXXXXXXX' },
      id: 'auth.ses-credentials',
      cls: 'auth',
      mentions: ['user', 'password', 'host'],
      last: /SMTP credentials.*SMTP_USER.*SMTP_PASSWORD/,
      explains: /IAM.*|eu-west-1/,
    },
    {
      name: 'SendGrid: email as user',
      failure: auth('535 Authentication failed: Bad username / password'),
      ctx: { host: 'smtp.sendgrid.net', provider: 'sendgrid', user: 'me@example.com' },
      id: 'auth.sendgrid-username',
      cls: 'auth',
      mentions: ['user', 'password'],
      last: /^set SMTP_USER=apikey$/,
    },
    {
      name: 'Postfix: 535 5.7.8 Error: authentication failed',
      failure: auth('535 5.7.8 Error: authentication failed: authentication failure'),
      id: 'auth.rejected',
      cls: 'auth',
      mentions: ['user', 'password'],
      last: /^set SMTP_PASSWORD /,
      summary: /smtp\.example\.com:587 rejected the login/,
    },
    {
      name: '530 Must issue a STARTTLS command first (AUTH on port 25 without TLS)',
      failure: auth('530 5.7.0 Must issue a STARTTLS command first'),
      ctx: { port: 25 },
      id: 'auth.tls-required',
      cls: 'tls',
      mentions: ['port', 'secure'],
      last: /SMTP_PORT=587 with SMTP_SECURE=0/,
    },
    {
      name: 'smtp-server: 538 Error: Must issue a STARTTLS command first',
      failure: auth('538 Error: Must issue a STARTTLS command first'),
      ctx: { port: 587 },
      id: 'auth.tls-required',
      cls: 'tls',
      mentions: ['secure'],
      last: /SMTP_PORT=465 with SMTP_SECURE=1/,
      explains: /strip/,
    },
    {
      name: '530 STARTTLS required at MAIL FROM',
      failure: {
        stage: 'mail',
        code: 'EENVELOPE',
        responseCode: 530,
        response: '530 5.7.0 Must issue a STARTTLS command first. d2e1a72fcca58-70 - gsmtp',
        message: 'Mail command failed: 530 5.7.0 Must issue a STARTTLS command first. d2e1a72fcca58-70 - gsmtp',
      },
      ctx: { port: 25 },
      id: 'auth.tls-required',
      cls: 'tls',
    },
    {
      name: '530 5.7.57 client not authenticated (no user set)',
      failure: {
        stage: 'mail',
        code: 'EENVELOPE',
        responseCode: 530,
        response: '530 5.7.57 Client not authenticated to send mail. [DM6PR...]',
        message: 'Mail command failed: 530 5.7.57 Client not authenticated to send mail. [DM6PR...]',
      },
      ctx: { host: 'smtp.office365.com', provider: 'office365', user: undefined, authAdvertised: false },
      id: 'auth.required',
      cls: 'auth',
      mentions: ['user', 'password'],
      explains: /SMTP_USER is not set/,
    },
    {
      name: 'Gmail 454 too many login attempts is temporary',
      failure: auth('454-4.7.0 Too many login attempts, please try again later.\n454 4.7.0 https://support.google.com/mail - gsmtp'),
      ctx: { host: 'smtp.gmail.com', provider: 'gmail' },
      id: 'temporary.rate-limited',
      cls: 'temporary',
      last: /retry after a brief pause/,
    },
    {
      name: 'Missing credentials for "PLAIN"',
      failure: { stage: 'auth', code: 'EAUTH', message: 'Missing credentials for "PLAIN"' },
      ctx: { user: undefined },
      id: 'auth.missing-credentials',
      cls: 'config',
      mentions: ['user', 'password'],
    },
  ]);

  it('does not echo an API key pasted into the user variable', () => {
    const d = diagnoseSmtpFailure(auth('535 Invalid username'), ctxOf({ host: 'smtp.resend.com', provider: 'resend', user: 're_AbCdEf123456789' }));
    expect(d.id).toBe('auth.resend-username');
    expect(JSON.stringify(d)).not.toContain('re_AbCdEf123456789');
    expect(d.causes.join(' ')).toMatch(/looks like an API key/);
  });
});

// ------------------------------------------------------------------------------------------------

const atMail = (response: string): SmtpFailure => ({
  stage: 'mail',
  code: 'EENVELOPE',
  responseCode: Number(response.slice(0, 3)),
  response,
  message: `Mail command failed: ${response}`,
});
const atRcpt = (response: string): SmtpFailure => ({
  stage: 'rcpt',
  code: 'EENVELOPE',
  responseCode: Number(response.slice(0, 3)),
  response,
  message: `Can't send mail - all recipients were rejected: ${response}`,
});
const afterData = (response: string): SmtpFailure => ({
  stage: 'data',
  code: 'EMESSAGE',
  responseCode: Number(response.slice(0, 3)),
  response,
  message: `Message failed: ${response}`,
});

describe('sender, recipient and message', () => {
  const resendCtx = { host: 'smtp.resend.com', port: 465, secure: true, provider: 'resend' as const, user: 'resend' };

  runTable([
    ...(
      [
        ['MAIL', atMail],
        ['RCPT', atRcpt],
        ['after DATA', afterData],
      ] as const
    ).map(
      ([where, at]): Case => ({
        name: `Resend 550 Sender address not verified ${where}`,
        failure: at('550 Sender address not verified'),
        ctx: resendCtx,
        id: 'sender.unverified',
        cls: 'envelope',
        mentions: ['sender'],
        last: /^set SMTP_SENDER to an address on a domain verified/,
        explains: /not verified in Resend/,
        summary: /noreply@example\.com/,
      }),
    ),
    {
      name: 'Resend: domain is not verified',
      failure: afterData('550 The example.com domain is not verified. Please, add and verify your domain on https://resend.com/domains'),
      ctx: resendCtx,
      id: 'sender.unverified',
      cls: 'envelope',
      mentions: ['sender'],
    },
    {
      name: 'SendGrid: from address does not match a verified Sender Identity (after DATA)',
      failure: afterData(
        '550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-sender/sender-identity/ to see the Sender Identity requirements',
      ),
      ctx: { host: 'smtp.sendgrid.net', provider: 'sendgrid', user: 'apikey' },
      id: 'sender.unverified',
      cls: 'envelope',
      mentions: ['sender'],
      explains: /Sender Identity/,
    },
    {
      name: 'SES: 554 Message rejected: Email address is not verified (sender listed)',
      failure: afterData(
        '554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: noreply@example.com',
      ),
      ctx: { host: 'email-smtp.us-east-1.amazonaws.com', provider: 'ses' },
      id: 'sender.unverified',
      cls: 'envelope',
      mentions: ['sender'],
    },
    {
      name: 'SES sandbox: only the recipient is listed as unverified',
      failure: afterData(
        '554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: friend@example.org',
      ),
      ctx: { host: 'email-smtp.us-east-1.amazonaws.com', provider: 'ses' },
      id: 'sender.sandbox',
      cls: 'envelope',
      mentions: ['sender'],
      last: /production access/,
    },
    {
      name: 'Postfix: 550 5.7.1 Sender address rejected at RCPT is a sender cause',
      failure: atRcpt('550 5.7.1 <noreply@example.com>: Sender address rejected: not owned by user mailer@example.com'),
      id: 'sender.unverified',
      cls: 'envelope',
      mentions: ['sender'],
      explains: /came at RCPT but is about the sender/,
    },
    {
      name: 'Office 365 SendAsDenied after DATA',
      failure: afterData(
        '554 5.2.252 SendAsDenied; mailer@example.com not allowed to send as noreply@example.com; STOREDRV.Submission.Exception:SendAsDeniedException',
      ),
      ctx: { host: 'smtp.office365.com', provider: 'office365' },
      id: 'sender.unverified',
      cls: 'envelope',
      mentions: ['sender'],
      explains: /mailbox in SMTP_USER/,
    },
    {
      name: 'Resend 550 Sandbox mode at RCPT',
      failure: atRcpt('550 Sandbox mode: you can only send to the account owner'),
      ctx: resendCtx,
      id: 'sender.sandbox',
      cls: 'envelope',
      mentions: ['sender'],
      explains: /sandbox/,
    },
    {
      name: 'Resend: You can only send testing emails to your own email address',
      failure: afterData('550 You can only send testing emails to your own email address (owner@example.com).'),
      ctx: resendCtx,
      id: 'sender.sandbox',
      cls: 'envelope',
      last: /Resend Domains page.*SMTP_SENDER/,
    },
    {
      name: 'Postfix: 550 5.1.1 Recipient address rejected: User unknown',
      failure: atRcpt('550 5.1.1 <friend@example.org>: Recipient address rejected: User unknown in virtual mailbox table'),
      id: 'recipient.rejected',
      cls: 'envelope',
      summary: /friend@example\.org/,
      last: /recipient address/,
    },
    {
      name: 'Postfix: recipient "unverified address" is about the recipient',
      failure: atRcpt('550 5.1.1 <friend@example.org>: Recipient address rejected: unverified address: host mx said: 550 no such user'),
      id: 'recipient.rejected',
      cls: 'envelope',
    },
    {
      name: 'Gmail: 550-5.1.1 account does not exist',
      failure: atRcpt(
        "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550 5.1.1 double-checking the recipient's email address - gsmtp",
      ),
      id: 'recipient.rejected',
      cls: 'envelope',
    },
    {
      name: '554 Relay access denied at RCPT',
      failure: atRcpt('554 5.7.1 <friend@example.org>: Relay access denied'),
      ctx: { user: undefined, authAdvertised: false },
      id: 'envelope.relay-denied',
      cls: 'envelope',
      mentions: ['user', 'password', 'host'],
      explains: /no login/,
    },
    {
      name: '550 at MAIL without a hint is still about the sender',
      failure: atMail('550 5.7.1 Access denied'),
      id: 'sender.rejected',
      cls: 'envelope',
      mentions: ['sender', 'user'],
    },
    {
      name: 'spam filter after DATA',
      failure: afterData('554 5.7.1 Message rejected as spam by Content Filtering.'),
      id: 'message.rejected',
      cls: 'message',
      mentions: ['sender'],
      summary: /after DATA/,
    },
    {
      name: "nodemailer's own words ('for recipient') do not make a content rejection a recipient problem",
      failure: {
        stage: 'data',
        code: 'EMESSAGE',
        responseCode: 554,
        response: '554 5.7.1 Message rejected: content policy',
        message: 'Message failed for recipient friend@example.org: 554 5.7.1 Message rejected: content policy',
      },
      id: 'message.rejected',
      cls: 'message',
    },
    {
      name: 'message too large',
      failure: afterData('552 5.3.4 Message size exceeds fixed maximum message size'),
      id: 'message.too-large',
      cls: 'message',
    },
  ]);
});

// ------------------------------------------------------------------------------------------------

describe('temporary failures', () => {
  runTable([
    {
      name: '421 instead of the greeting (Postfix too many connections)',
      failure: {
        stage: 'greeting',
        code: 'EPROTOCOL',
        responseCode: 421,
        response: '421 4.7.0 mail.example.com Error: too many connections from 1.2.3.4',
        message:
          'Invalid greeting. response=421 4.7.0 mail.example.com Error: too many connections from 1.2.3.4: 421 4.7.0 mail.example.com Error: too many connections from 1.2.3.4',
      },
      ctx: { port: 465, secure: false },
      id: 'temporary.rate-limited',
      cls: 'temporary',
      last: /retry after a brief pause/,
      explains: /too many connections|several processes/,
    },
    {
      name: 'Resend 421 at MAIL',
      failure: atMail('421 4.7.0 Too many requests, please slow down'),
      ctx: resendish(),
      id: 'temporary.rate-limited',
      cls: 'temporary',
      explains: /100 emails a day/,
      last: /retry after a brief pause/,
    },
    {
      name: 'Resend bare 421 at MAIL is rate limiting',
      failure: atMail('421 Service not available'),
      ctx: resendish(),
      id: 'temporary.rate-limited',
      cls: 'temporary',
    },
    {
      name: 'SES 454 Throttling failure',
      failure: afterData('454 Throttling failure: Maximum sending rate exceeded.'),
      ctx: { host: 'email-smtp.us-east-1.amazonaws.com', provider: 'ses' },
      id: 'temporary.rate-limited',
      cls: 'temporary',
    },
    {
      name: 'Gmail 421 at EHLO',
      failure: {
        stage: 'ehlo',
        code: 'ECONNECTION',
        responseCode: 421,
        response: '421-4.7.0 Try again later, closing connection. (EHLO)',
        message: 'Server terminates connection. response=421-4.7.0 Try again later, closing connection. (EHLO)',
      },
      id: 'temporary.failure',
      cls: 'temporary',
      last: /retry after a brief pause/,
    },
    {
      name: 'greylisting at RCPT',
      failure: atRcpt('450 4.2.0 <friend@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/'),
      id: 'temporary.failure',
      cls: 'temporary',
      explains: /greylisting/,
    },
  ]);
});

function resendish(): ContextOver {
  return { host: 'smtp.resend.com', port: 465, secure: true, provider: 'resend', user: 'resend' };
}

// ------------------------------------------------------------------------------------------------

describe('protocol, handshake and the catch-all', () => {
  runTable([
    {
      name: 'POP3 on the port',
      failure: {
        stage: 'greeting',
        code: 'EPROTOCOL',
        response: '+OK Dovecot ready.',
        message: 'Invalid greeting. response=+OK Dovecot ready.: +OK Dovecot ready.',
      },
      ctx: { port: 110 },
      id: 'protocol.unexpected',
      cls: 'protocol',
      mentions: ['port'],
      explains: /POP3/,
    },
    {
      name: '554 greeting: client blocked',
      failure: {
        stage: 'greeting',
        code: 'EPROTOCOL',
        responseCode: 554,
        response: '554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked using zen.spamhaus.org',
        message: 'Invalid greeting. response=554 5.7.1 ...: 554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked using zen.spamhaus.org',
      },
      ctx: { port: 25 },
      id: 'greeting.rejected',
      cls: 'network',
      mentions: ['host', 'port'],
    },
    {
      name: 'server offers only old TLS during STARTTLS',
      failure: {
        stage: 'starttls',
        code: 'ESOCKET',
        originalCode: 'ERR_SSL_UNSUPPORTED_PROTOCOL',
        message: 'error:0A000102:SSL routines::unsupported protocol',
      },
      id: 'tls.handshake',
      cls: 'tls',
      mentions: ['port', 'secure'],
      explains: /old TLS version/,
    },
    {
      name: 'server refuses STARTTLS: credentials would cross in the clear',
      failure: {
        stage: 'starttls',
        code: 'ETLS',
        responseCode: 502,
        response: '502 5.5.1 Error: command not implemented',
        message: 'Error upgrading connection with STARTTLS: 502 5.5.1 Error: command not implemented',
      },
      id: 'tls.starttls-unavailable',
      cls: 'tls',
      mentions: ['host', 'port', 'secure'],
      explains: /only speaks plain SMTP/,
    },
    {
      name: 'a server that drips bytes: the walk bounds the step itself',
      failure: { stage: 'ehlo', code: 'ETIMEDOUT', timeoutType: 'STEP_TIMEOUT', message: 'no complete answer within 2500 ms' },
      id: 'network.stalled',
      cls: 'network',
      summary: /stopped answering/,
    },
    {
      name: 'implicit TLS: connected, but the handshake never finishes',
      failure: { stage: 'tls', code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT', message: 'Connection timeout' },
      ctx: { port: 465, secure: true },
      id: 'tls.handshake',
      cls: 'tls',
      explains: /handshake never finished/,
    },
    {
      name: 'STARTTLS handshake never finishes',
      failure: { stage: 'starttls', code: 'ETIMEDOUT', timeoutType: 'UPGRADE_TIMEOUT', message: 'Timeout' },
      id: 'tls.handshake',
      cls: 'tls',
    },
    {
      name: 'unknown authentication method: nothing matches, class from the code',
      failure: { stage: 'auth', code: 'EAUTH', message: 'Unknown authentication method "XOAUTH9"' },
      id: 'unknown',
      cls: 'auth',
      mentions: ['host', 'port', 'secure'],
      summary: /Unknown authentication method/,
    },
    {
      name: 'a bare error at EHLO: class from the stage',
      failure: { stage: 'ehlo', message: 'Something unexpected' },
      id: 'unknown',
      cls: 'protocol',
    },
  ]);
});

// ------------------------------------------------------------------------------------------------

describe('the rule table', () => {
  it('has unique, well-formed ids', () => {
    expect(new Set(smtpDiagnosisIds).size).toBe(smtpDiagnosisIds.length);
    for (const id of smtpDiagnosisIds) expect(id).toMatch(/^[a-z]+(\.[a-z0-9]+(-[a-z0-9]+)*)?$/);
    expect(smtpDiagnosisIds.at(-1)).toBe('unknown');
    expect(smtpRules.map((r) => r.id)).not.toContain('unknown');
  });

  it('keeps the ids the rest of the product relies on', () => {
    for (const id of [
      'tls.implicit-on-starttls-port',
      'tls.plaintext-on-implicit-port',
      'auth.rejected',
      'auth.resend-username',
      'auth.gmail-app-password',
      'auth.o365-smtp-auth-disabled',
      'auth.ses-credentials',
      'auth.tls-required',
      'sender.unverified',
      'sender.sandbox',
      'recipient.rejected',
      'message.rejected',
      'temporary.rate-limited',
      'temporary.failure',
      'network.refused',
      'network.dns',
      'network.timeout',
      'network.unreachable',
      'network.closed',
      'tls.self-signed',
      'tls.self-signed-in-chain',
      'tls.unknown-issuer',
      'tls.expired',
      'tls.hostname-mismatch',
      'tls.handshake',
      'greeting.timeout',
      'protocol.unexpected',
      'unknown',
    ]) {
      expect(smtpDiagnosisIds).toContain(id);
    }
  });

  it('every rule is reached by at least one realistic failure in these tables', () => {
    // Collected from the describe blocks above through the public function.
    const samples: [SmtpFailure, ContextOver][] = [
      [{ stage: 'tls', code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' }, { secure: true }],
      [{ stage: 'greeting', code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', message: 'Greeting never received' }, { port: 465 }],
      [{ stage: 'tls', code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'x' }, {}],
      [{ stage: 'tls', code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'x' }, {}],
      [{ stage: 'tls', code: 'ESOCKET', originalCode: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', message: 'x' }, {}],
      [{ stage: 'tls', code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED', message: 'x' }, {}],
      [{ stage: 'tls', code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', message: 'x' }, {}],
      [atMail('421 rate limit exceeded'), {}],
      [atMail('421 Service not available'), {}],
      [{ stage: 'greeting', code: 'EPROTOCOL', responseCode: 554, response: '554 No SMTP service here', message: 'Invalid greeting' }, {}],
      [auth('538 Error: Must issue a STARTTLS command first'), {}],
      [atMail('530 5.7.0 Authentication required'), {}],
      [auth('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.'), { provider: 'office365' }],
      [{ stage: 'tls', code: 'ESOCKET', originalCode: 'CERT_NOT_YET_VALID', message: 'certificate is not yet valid' }, {}],
      [
        {
          stage: 'starttls',
          code: 'ETLS',
          responseCode: 454,
          response: '454 4.7.0 TLS not available due to local problem',
          message: 'Error upgrading connection with STARTTLS',
        },
        {},
      ],
      [{ stage: 'starttls', code: 'ENOSTARTTLS', message: 'the server does not offer STARTTLS' }, {}],
      [{ stage: 'auth', code: 'ENOAUTHMECH', message: 'no AUTH was sent' }, { authMechanisms: ['XOAUTH2'] }],
      [{ stage: 'auth', code: 'ENOAUTHMECH', message: 'no AUTH was sent' }, { authMechanisms: ['CRAM-SHA1'] }],
      [
        { stage: 'auth', code: 'EAUTHMETHOD', message: 'no AUTH was sent' },
        { authMechanisms: ['PLAIN'], authMethod: 'CRAM-MD5' },
      ],
      [{ stage: 'dns', code: 'EDNS', originalCode: 'EAI_ADDRFAMILY', message: 'no IPv6 address' }, { family: 6 }],
      [{ stage: 'greeting', code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', responseCode: 220, message: 'the server sent "220-" but not the rest' }, {}],
      [{ stage: 'auth', code: 'ETIMEDOUT', timeoutType: 'STEP_TIMEOUT', message: 'no complete answer within 20000 ms' }, {}],
      [auth('535-5.7.8 Username and Password not accepted.'), { provider: 'gmail' }],
      [auth('535 Authentication Credentials Invalid'), { provider: 'ses' }],
      [auth('535 Invalid username'), { provider: 'resend' }],
      [auth('535 Invalid username'), { provider: 'resend', user: 'resend' }],
      [auth('535 Authentication failed'), { provider: 'sendgrid' }],
      [auth('535 5.7.8 Error: authentication failed'), {}],
      [{ stage: 'auth', code: 'EAUTH', message: 'Missing credentials for "LOGIN"' }, {}],
      [atRcpt('550 Sandbox mode'), {}],
      [atMail('550 Sender address not verified'), {}],
      [atRcpt('554 5.7.1 <a@b>: Relay access denied'), {}],
      [afterData('552 5.3.4 Message size exceeds fixed maximum message size'), {}],
      [atRcpt('550 5.1.1 User unknown'), {}],
      [atMail('550 5.7.1 Access denied'), {}],
      [afterData('554 5.7.1 Spam'), {}],
      [{ stage: 'starttls', code: 'ETIMEDOUT', timeoutType: 'UPGRADE_TIMEOUT', message: 'Timeout' }, {}],
      [
        {
          stage: 'starttls',
          code: 'ETLS',
          responseCode: 502,
          response: '502 5.5.1 Error: command not implemented',
          message: 'Error upgrading connection with STARTTLS',
        },
        {},
      ],
      [{ stage: 'connect', code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT', message: 'Connection timeout' }, {}],
      [{ stage: 'greeting', code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', message: 'Greeting never received' }, {}],
      [{ stage: 'data', code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', message: 'Timeout' }, {}],
      [{ stage: 'connect', code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, {}],
      [{ stage: 'dns', code: 'EDNS', originalCode: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND' }, {}],
      [{ stage: 'connect', code: 'ESOCKET', originalCode: 'ENETUNREACH', message: 'connect ENETUNREACH' }, {}],
      [{ stage: 'mail', code: 'ECONNECTION', message: 'Connection closed unexpectedly' }, {}],
      [{ stage: 'greeting', code: 'EPROTOCOL', response: 'SSH-2.0-OpenSSH_9.6', message: 'Invalid greeting' }, {}],
      [{ stage: 'quit', message: '?' }, {}],
    ];
    const reached = new Set(samples.map(([f, c]) => diagnoseSmtpFailure(f, ctxOf(c)).id));
    expect([...reached].sort()).toEqual([...smtpDiagnosisIds].sort());
  });

  it('puts multi-line server replies in serverSaid verbatim but keeps the summary on one line', () => {
    const response = '535-5.7.8 Username and Password not accepted.\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp';
    const d = diagnoseSmtpFailure(auth(response), ctxOf({ provider: 'gmail' }));
    expect(d.serverSaid).toBe(response);
    expect(d.summary).not.toMatch(/\n/);
  });
});

describe('certificate fixes with --ca-file', () => {
  // Node trusts only the given file then, so NODE_EXTRA_CA_CERTS advice could not help.
  const failures: [string, SmtpFailure][] = [
    ['self-signed', { stage: 'tls', code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }],
    [
      'self-signed in chain',
      { stage: 'tls', code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' },
    ],
    ['unknown issuer', { stage: 'tls', code: 'ESOCKET', originalCode: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', message: 'unable to get local issuer certificate' }],
  ];
  it.each(failures)('%s: the file given is named, NODE_EXTRA_CA_CERTS is not', (_name, failure) => {
    const withFile = diagnoseSmtpFailure(failure, ctxOf({ customCa: true })).fixes.join('\n');
    expect(withFile).toMatch(/does not chain to the CA given with --ca-file/);
    expect(withFile).not.toMatch(/NODE_EXTRA_CA_CERTS/);
    const without = diagnoseSmtpFailure(failure, ctxOf()).fixes.join('\n');
    expect(without).toMatch(/NODE_EXTRA_CA_CERTS=/);
    expect(without).not.toMatch(/--ca-file/);
  });
});

describe('--auth-method', () => {
  runTable([
    {
      name: 'forced CRAM-MD5, the server offers PLAIN and LOGIN: no AUTH was sent',
      failure: {
        stage: 'auth',
        code: 'EAUTHMETHOD',
        message: '--auth-method CRAM-MD5 was asked for, but the server does not offer it (it offers PLAIN, LOGIN); no AUTH was sent',
      },
      ctx: { authMechanisms: ['PLAIN', 'LOGIN'], authMethod: 'CRAM-MD5' },
      id: 'auth.method-not-offered',
      cls: 'auth',
      summary: /does not offer AUTH CRAM-MD5 \(it offers AUTH PLAIN, LOGIN\)/,
      last: /drop --auth-method/,
    },
    {
      name: 'forced LOGIN, the server advertises no AUTH at all',
      failure: { stage: 'auth', code: 'EAUTHMETHOD', message: 'no AUTH was sent' },
      ctx: { authMechanisms: [], authMethod: 'LOGIN' },
      id: 'auth.method-not-offered',
      cls: 'auth',
      summary: /it offers no AUTH at all/,
    },
  ]);
});
