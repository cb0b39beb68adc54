// Real MTAs on loopback, for test/mta/*.test.ts and scripts/bench.mjs (which is why this is plain
// JavaScript, typed by harness.d.mts, like test/fixtures/unreachable.mjs).
//
// scripts/mta/install.sh installs Postfix, Dovecot and swaks from Debian's packages and unpacks
// Exim 4 (exim4-daemon-light, GnuTLS) into the project's cache (the exim4 and postfix packages
// conflict). Every start here makes its own instances: generated configuration in a fresh temp
// directory, free loopback ports, a generated private CA, users in a passwd-file, and nothing
// left behind by stop(). The system's own daemons and standard ports are never used.
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

export const installScript = 'scripts/mta/install.sh';
// Keep in sync with exim_dir in scripts/mta/install.sh.
export const eximRoot = join(process.env.MAILCHECK_MTA_CACHE ?? join(root, 'node_modules/.cache/mailcheck-mta'), 'exim4');
const eximBinary = join(eximRoot, 'usr/sbin/exim4');
const postfixBinary = '/usr/sbin/postfix';
const postfixMaster = '/usr/lib/postfix/sbin/master';
const dovecotBinary = '/usr/sbin/dovecot';

/** The mail domains the instances accept mail for, and the one login every instance knows. */
export const domain = { postfix: 'mta.test', exim: 'exim.test' };
export const login = { user: 'mailer', password: 'Hq7#vT2-mX9!kW4&zR' };
/** Only in Dovecot's passwd-file of the slow instance; never the password of `login`. */
export const wrongPassword = 'not-the-password';

/**
 * Why the real MTAs cannot run here, or undefined when they can. Tests skip with this message,
 * except on CI, where a missing MTA must fail the run (see requireMtas in ./mta.ts).
 */
export function mtaUnavailable(kind = 'all') {
  if (process.platform !== 'linux') return 'real-MTA tests need Linux (Debian 12)';
  if (userInfo().uid !== 0) return `real-MTA tests need root (Postfix, Dovecot and Exim start as root); run them as root after \`sudo ${installScript}\``;
  const needed = { postfix: [postfixBinary, postfixMaster, dovecotBinary], exim: [eximBinary] };
  const missing = (kind === 'all' ? [...needed.postfix, ...needed.exim] : needed[kind]).filter((p) => !existsSync(p));
  if (missing.length) return `not installed: ${missing.join(', ')}; run \`${installScript}\` as root (Debian 12)`;
  return undefined;
}

/** `count` distinct free loopback ports (bound and released at once, so nothing else takes them first, in practice). */
export async function freePorts(count) {
  const servers = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
  }
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Resolves once something accepts connections on 127.0.0.1:port; rejects after `ms`. */
export async function waitForPort(port, ms = 10_000, what = `port ${port}`) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not start listening within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A private CA and the server certificates the scenarios need, as PEM files in `dir`:
 * `good` (localhost, 127.0.0.1), `expired` and `wrongHost` (mail.other.example) all signed by the
 * CA in `caFile`; `untrusted` is signed by another CA that nobody is told about. EC keys: fast.
 */
export async function makePki(dir) {
  const day = 86400_000;
  const now = Date.now();
  const ca = await generate([{ name: 'commonName', value: 'mailcheck test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - day),
    notAfterDate: new Date(now + 30 * day),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true },
    ],
  });
  const otherCa = await generate([{ name: 'commonName', value: 'some other CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true },
    ],
  });
  const leaf = async (
    name,
    { cn = 'localhost', dns = ['localhost'], ips = ['127.0.0.1'], notBefore = now - day, notAfter = now + 30 * day, signer = ca } = {},
  ) => {
    const pems = await generate([{ name: 'commonName', value: cn }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: new Date(notBefore),
      notAfterDate: new Date(notAfter),
      ca: { key: signer.private, cert: signer.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [...dns.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))] },
      ],
    });
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    // Key first, then the chain up to (not including) the root: what Postfix's smtpd_tls_chain_files wants.
    writeFileSync(certFile, pems.cert);
    writeFileSync(keyFile, pems.private, { mode: 0o640 });
    return { certFile, keyFile };
  };
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  return {
    caFile,
    good: await leaf('good'),
    expired: await leaf('expired', { notBefore: now - 30 * day, notAfter: now - day }),
    wrongHost: await leaf('wrong-host', { cn: 'mail.other.example', dns: ['mail.other.example'], ips: [] }),
    untrusted: await leaf('untrusted', { signer: otherCa }),
  };
}

/** The uid and gid of a system user the packages created (postfix, Debian-exim). */
async function ids(user) {
  const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
  return [Number(uid.stdout), Number(gid.stdout)];
}

/** A temp directory the MTAs' unprivileged users can traverse (mkdtemp makes it 0700). */
function labDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `mailcheck-${name}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * A daemon run in the foreground as our child, so stop() (or this process exiting) ends it. It
 * gets a process group of its own: Postfix's master ends its children by signalling its group.
 */
function daemon(name, file, args, logFile) {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = once(child, 'exit');
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    alive,
    describe: () =>
      `${name} ${alive() ? 'running' : `exited ${child.exitCode ?? child.signalCode}`}: ${output.trim().slice(-800)}${logFile && existsSync(logFile) ? `\n${name} log: ${readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n')}` : ''}`,
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      // Whatever of the group outlived its leader (an smtpd mid-session, say).
      killGroup(child, 'SIGKILL');
    },
  };
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

// Daemons must not outlive a run that ends without calling stop() (a crash, a timeout, Ctrl-C):
// their own process groups do not get the terminal's or the test runner's signals.
const running = new Set();
const killAll = () => {
  for (const d of running) killGroup(d.child, 'SIGKILL');
};
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

async function started(d, port, what) {
  running.add(d);
  try {
    await waitForPort(port, 10_000, what);
  } catch (error) {
    await d.stop();
    throw new Error(`${error.message}\n${d.describe()}`);
  }
  return d;
}

/**
 * A Dovecot instance that only serves SASL to Postfix (no IMAP/POP3), with its own base_dir and a
 * passwd-file holding `login`. `authFailureDelay` is Dovecot's auth_failure_delay: every failed
 * login is answered after it (Dovecot's default is 2s; its anvil adds a per-IP penalty on top).
 */
async function startDovecot(dir, name, { authFailureDelay = '2s', mechanisms = 'plain login' } = {}) {
  const base = join(dir, name);
  mkdirSync(base, { recursive: true });
  chmodSync(base, 0o755);
  const users = join(base, 'users');
  // passwd-file: user:{scheme}password:uid:gid:gecos:home:shell:extra (only the first two matter here).
  writeFileSync(users, `${login.user}:{PLAIN}${login.password}::::::\n`, { mode: 0o640 });
  // Dovecot's auth worker reads it as the dovecot user.
  chownSync(users, 0, (await ids('dovecot'))[1]);
  const socket = join(base, 'auth-postfix');
  const logFile = join(base, 'dovecot.log');
  const conf = join(base, 'dovecot.conf');
  writeFileSync(
    conf,
    `# generated by test/mta/harness.mjs
protocols =
base_dir = ${base}/run
state_dir = ${base}/state
log_path = ${logFile}
ssl = no
auth_mechanisms = ${mechanisms}
auth_failure_delay = ${authFailureDelay}
auth_verbose = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${users}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener ${socket} {
    mode = 0666
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0600
  }
}
`,
  );
  const d = daemon(`dovecot ${name}`, dovecotBinary, ['-F', '-c', conf], logFile);
  running.add(d);
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (!d.alive() || Date.now() > deadline) {
      await d.stop();
      throw new Error(`Dovecot did not create its auth socket ${socket}\n${d.describe()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { socket, daemon: d };
}

/** A lab's directory and its teardown: each daemon started pushes its stop, and stop() runs them last first. */
function labTeardown(kind) {
  const dir = labDir(kind);
  const stops = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    // MAILCHECK_MTA_KEEP=1 keeps the configuration and logs for a post-mortem.
    if (!process.env.MAILCHECK_MTA_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  return { dir, stops, stop };
}

/**
 * Postfix with Dovecot SASL on loopback. One instance, many listeners (master.cf services), each
 * a scenario; `ports` maps the names below to their port numbers:
 *
 * - submission       STARTTLS, AUTH after TLS only (smtpd_tls_auth_only), the good certificate
 * - submissions      implicit TLS (smtpd_tls_wrappermode) on the same settings
 * - wrongPassword    like submission, for wrong-password tests (a Dovecot of its own, see below)
 * - senderAtMail     like submission, but smtpd_delay_reject=no: the sender check answers at MAIL
 *                    (Postfix's default delays it to RCPT, which `submission` shows)
 * - relayDenied      a relay that does not let logged-in users relay (reject_unauth_destination only)
 * - tinySize         message_size_limit smaller than any test message
 * - expired, wrongHost, untrusted   STARTTLS with that certificate
 * - slowAuth         Dovecot with auth_failure_delay 2s (its default) behind AUTH
 * - tlsBroken        STARTTLS advertised but the key file is missing: 454 4.7.0 TLS not available
 * - postscreen       postscreen in front (220- at once, the final 220 after `greetWait`)
 * - rateLimited      one connection a minute per client (anvil), as providers rate-limit; the next gets 421
 *
 * Mail to inbox@mta.test is accepted and discarded; greylist@mta.test is greylisted (450 4.2.0);
 * other local parts are unknown (550 5.1.1);
 * other domains are relayed (to the discard transport) for logged-in users. The sender must be
 * app@mta.test (owned by `login.user`: reject_sender_login_mismatch), other@mta.test is refused.
 */
export async function startPostfix({ greetWait = '4s', messageSizeLimit = 65536, tinySizeLimit = 300 } = {}) {
  const unavailable = mtaUnavailable('postfix');
  if (unavailable) throw new Error(unavailable);
  const { dir, stops, stop } = labTeardown('postfix');
  try {
    const pki = await makePki(dir);
    // Postfix reads keys as root before dropping privileges; keep them private to root.
    const fast = await startDovecot(dir, 'dovecot-fast', { authFailureDelay: '0' });
    stops.push(() => fast.daemon.stop());
    const slow = await startDovecot(dir, 'dovecot-slow', { authFailureDelay: '2s' });
    stops.push(() => slow.daemon.stop());
    // Dovecot's anvil penalises every later login from the IP of a failed one (127.0.0.1 for all
    // tests), so the wrong-password scenario gets a Dovecot of its own, to keep the others fast.
    const failing = await startDovecot(dir, 'dovecot-wrong-password', { authFailureDelay: '0' });
    stops.push(() => failing.daemon.stop());

    const names = [
      'submission',
      'submissions',
      'wrongPassword',
      'senderAtMail',
      'relayDenied',
      'tinySize',
      'expired',
      'wrongHost',
      'untrusted',
      'slowAuth',
      'tlsBroken',
      'postscreen',
      'rateLimited',
    ];
    const list = await freePorts(names.length);
    const ports = Object.fromEntries(names.map((n, i) => [n, list[i]]));
    const conf = join(dir, 'etc');
    const queue = join(dir, 'queue');
    const data = join(dir, 'data');
    mkdirSync(conf);
    mkdirSync(data);
    mkdirSync(queue);
    // The master refuses a data_directory it does not own (postscreen's cache and TLS caches live there).
    chownSync(data, ...(await ids('postfix')));
    const maillog = join(dir, 'maillog');
    const chain = (c) => `${c.keyFile},${c.certFile}`;
    writeFileSync(
      join(conf, 'main.cf'),
      `# generated by test/mta/harness.mjs
compatibility_level = 3.6
config_directory = ${conf}
queue_directory = ${queue}
data_directory = ${data}
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
daemon_directory = /usr/lib/postfix/sbin
command_directory = /usr/sbin
mail_owner = postfix
setgid_group = postdrop
maillog_file = ${maillog}
maillog_file_prefixes = ${dir}
myhostname = ${domain.postfix}
mydomain = ${domain.postfix}
myorigin = ${domain.postfix}
inet_interfaces = loopback-only
inet_protocols = ipv4
# Loopback is not a trusted network here: every client must log in, as on a real submission port.
mynetworks = 192.0.2.0/24
mydestination = ${domain.postfix}
local_recipient_maps = inline:{ inbox=ok, postmaster=ok }
alias_maps =
alias_database =
# Accepted mail is discarded, local or relayed: DATA ends in 250 and nothing is queued for long.
local_transport = discard:accepted
default_transport = discard:accepted
relay_transport = discard:accepted
smtpd_banner = $myhostname ESMTP Postfix (mailcheck lab)
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
message_size_limit = ${messageSizeLimit}
biff = no
smtpd_tls_chain_files = ${chain(pki.good)}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${fast.socket}
smtpd_sasl_auth_enable = yes
smtpd_sender_login_maps = inline:{ app@${domain.postfix}=${login.user}, other@${domain.postfix}=someone-else }
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
# greylist@ is answered the way a greylisting policy server (postgrey) answers a first delivery.
smtpd_recipient_restrictions = check_recipient_access inline:{ { greylist@${domain.postfix} = 450 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/${domain.postfix}.html } }, reject_unlisted_recipient
postscreen_cache_map = btree:${data}/postscreen_cache
postscreen_greet_wait = ${greetWait}
postscreen_greet_action = enforce
# Never remember a passed greeting test: every connection meets the greet wait.
postscreen_greet_ttl = 1s
postscreen_dnsbl_sites =
`,
    );
    const submission = (port, name, ...opts) =>
      `127.0.0.1:${port} inet n - n - - smtpd\n  -o syslog_name=postfix/${name}\n${opts.map((o) => `  -o ${o}\n`).join('')}`;
    writeFileSync(
      join(conf, 'master.cf'),
      `# generated by test/mta/harness.mjs; no service is chrooted (paths are in a temp dir)
${submission(ports.submission, 'submission')}${submission(ports.submissions, 'submissions', 'smtpd_tls_wrappermode=yes')}${submission(ports.wrongPassword, 'wrong-password', `smtpd_sasl_path=${failing.socket}`)}${submission(ports.senderAtMail, 'sender-at-mail', 'smtpd_delay_reject=no')}${submission(ports.relayDenied, 'relay-denied', 'smtpd_relay_restrictions=reject_unauth_destination')}${submission(ports.tinySize, 'tiny-size', `message_size_limit=${tinySizeLimit}`)}${submission(ports.expired, 'expired', `smtpd_tls_chain_files=${chain(pki.expired)}`)}${submission(ports.wrongHost, 'wrong-host', `smtpd_tls_chain_files=${chain(pki.wrongHost)}`)}${submission(ports.untrusted, 'untrusted', `smtpd_tls_chain_files=${chain(pki.untrusted)}`)}${submission(ports.slowAuth, 'slow-auth', `smtpd_sasl_path=${slow.socket}`)}${submission(ports.tlsBroken, 'tls-broken', `smtpd_tls_chain_files=${dir}/missing.key,${dir}/missing.crt`)}${submission(ports.rateLimited, 'rate-limited', 'smtpd_client_connection_rate_limit=1', 'smtpd_client_event_limit_exceptions=')}127.0.0.1:${ports.postscreen} inet n - n - 1 postscreen
smtpd     pass  -       -       n       -       -       smtpd
  -o syslog_name=postfix/postscreen-smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
discard   unix  -       -       n       -       -       discard
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
tlsproxy  unix  -       -       n       -       0       tlsproxy
postlog   unix-dgram n  -       n       -       1       postlogd
`,
    );
    // Creates the queue directories with Postfix's owners and modes, and checks the configuration.
    await run(postfixBinary, ['-c', conf, 'check']).catch((error) => {
      throw new Error(`postfix check failed: ${error.stderr}${error.stdout}${existsSync(maillog) ? readFileSync(maillog, 'utf8') : ''}`);
    });
    // master -d: stays in the foreground as our child (postfix start would detach it).
    const master = daemon('postfix master', postfixMaster, ['-d', '-c', conf], maillog);
    stops.push(() => master.stop());
    await started(master, ports.submission, 'Postfix');
    for (const n of names) await waitForPort(ports[n], 5000, `Postfix ${n}`);
    return { kind: 'postfix', dir, ports, caFile: pki.caFile, pki, maillog, domain: domain.postfix, describe: master.describe, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Exim 4 (GnuTLS) run from the unpacked package with its own configuration (-C), in the
 * foreground (-bdf). `ports`:
 *
 * - submission   STARTTLS, AUTH PLAIN and LOGIN after TLS from a static list (lsearch)
 * - submissions  implicit TLS (tls_on_connect_ports)
 * - oauthOnly    advertises only AUTH XOAUTH2 (after STARTTLS), and refuses every attempt
 * - tlsBroken    STARTTLS advertised, but the certificate file is missing: 454 TLS currently unavailable
 * - tinySize     message_size_limit smaller than any test message (552 after DATA)
 * - expired      STARTTLS with the expired certificate
 *
 * Mail to inbox@exim.test is accepted and discarded (:blackhole:); other local parts are
 * unrouteable (550); other domains: 550 relay not permitted; sender blocked@exim.test: 550 at MAIL.
 */
export async function startExim({ messageSizeLimit = '64K', tinySizeLimit = 300 } = {}) {
  const unavailable = mtaUnavailable('exim');
  if (unavailable) throw new Error(unavailable);
  const { dir, stops, stop } = labTeardown('exim');
  try {
    const pki = await makePki(dir);
    const names = ['submission', 'submissions', 'oauthOnly', 'tlsBroken', 'tinySize', 'expired'];
    const list = await freePorts(names.length);
    const ports = Object.fromEntries(names.map((n, i) => [n, list[i]]));
    const spool = join(dir, 'spool');
    mkdirSync(join(spool, 'log'), { recursive: true });
    // Exim receives as Debian-exim (EXIM_USER, compiled in), which must own its spool and read the key.
    const [uid, gid] = await ids('Debian-exim');
    for (const p of [spool, join(spool, 'log')]) chownSync(p, uid, gid);
    for (const c of [pki.good, pki.expired]) chownSync(c.keyFile, uid, gid);
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, `${login.user}: ${login.password}\n`);
    const conf = join(dir, 'exim.conf');
    const logFile = join(spool, 'log', 'mainlog');
    writeFileSync(
      conf,
      `# generated by test/mta/harness.mjs
primary_hostname = ${domain.exim}
spool_directory = ${spool}
log_file_path = ${spool}/log/%slog
pid_file_path = ${dir}/exim.pid
daemon_smtp_ports = ${names.map((n) => ports[n]).join(' : ')}
local_interfaces = <; 127.0.0.1
tls_on_connect_ports = ${ports.submissions}
tls_advertise_hosts = *
# The tlsBroken port names a certificate that does not exist, so STARTTLS fails on the server side.
tls_certificate = \${if ={$received_port}{${ports.tlsBroken}}{${dir}/missing.crt}{\${if ={$received_port}{${ports.expired}}{${pki.expired.certFile}}{${pki.good.certFile}}}}}
tls_privatekey = \${if ={$received_port}{${ports.tlsBroken}}{${dir}/missing.key}{\${if ={$received_port}{${ports.expired}}{${pki.expired.keyFile}}{${pki.good.keyFile}}}}}
host_lookup =
rfc1413_hosts =
message_size_limit = \${if ={$received_port}{${ports.tinySize}}{${tinySizeLimit}}{${messageSizeLimit}}}
domainlist local_domains = ${domain.exim}
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
# Logins only over TLS, as on any sane submission port.
auth_advertise_hosts = \${if eq{$tls_in_cipher}{}{}{*}}
keep_environment =
begin acl
acl_check_mail:
  deny    senders = blocked@${domain.exim}
          message = Sender address blocked by policy
  accept
acl_check_rcpt:
  deny    !authenticated = *
          message = Authentication required
  require message = relay not permitted
          domains = +local_domains
  require verify = recipient
  accept
begin routers
accepted:
  driver = redirect
  domains = +local_domains
  local_parts = inbox : postmaster
  data = :blackhole:
begin transports
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{!eq{$auth2}{}}{eq{$auth3}{\${lookup{$auth2}lsearch{${passwd}}}}}}}
  server_set_id = $auth2
  server_advertise_condition = \${if !={$received_port}{${ports.oauthOnly}}}
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username:: | Password::
  server_condition = \${if and{{!eq{$auth1}{}}{eq{$auth2}{\${lookup{$auth1}lsearch{${passwd}}}}}}}
  server_set_id = $auth1
  server_advertise_condition = \${if !={$received_port}{${ports.oauthOnly}}}
# What Microsoft 365 and Gmail look like once password logins are off: only OAuth2 is offered.
xoauth2:
  driver = plaintext
  public_name = XOAUTH2
  server_prompts = :
  server_condition = false
  server_advertise_condition = \${if ={$received_port}{${ports.oauthOnly}}}
`,
    );
    const exim = daemon('exim', eximBinary, ['-C', conf, '-bdf'], logFile);
    stops.push(() => exim.stop());
    await started(exim, ports.submission, 'Exim');
    for (const n of names) await waitForPort(ports[n], 5000, `Exim ${n}`);
    return { kind: 'exim', dir, ports, caFile: pki.caFile, pki, domain: domain.exim, describe: exim.describe, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
