import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { domainFromArgument } from '../../src/commands/dns.js';
import { dnsServerFromFlag } from '../../src/commands/options.js';
import { checkDkimRecord } from '../../src/dns/dkim.js';
import { dmarcRecordsIn, dmarcTreeWalk, inheritedDmarc, parseDmarc, subdomainPolicy } from '../../src/dns/dmarc.js';
import { joinTxt, shownRecord } from '../../src/dns/records.js';
import { allQualifier, costsLookup, isSpfRecord, parseSpf } from '../../src/dns/spf.js';
import { ExitCode, exitCodeFor } from '../../src/exit-codes.js';

describe('TXT records', () => {
  it('joins character-strings with nothing in between (RFC 7208 §3.3)', () => {
    expect(joinTxt(['v=spf1 include:amazon', 'ses.com ~all'])).toBe('v=spf1 include:amazonses.com ~all');
    expect(joinTxt(['v=spf1 ', 'a ', '-all'])).toBe('v=spf1 a -all');
    expect(joinTxt([])).toBe('');
  });

  it('shows a record with control characters made visible, never raw', () => {
    expect(shownRecord('v=spf1 \u001b]0;x\u0007 -all\n::error::y')).toBe('v=spf1 \\x1B]0;x\\x07 -all\\x0A::error::y');
  });
});

describe('SPF terms', () => {
  it.each([
    ['v=spf1 -all', true],
    ['V=SPF1 a -all', true],
    ['v=spf1', true],
    ['v=spf10 -all', false],
    ['v=spf2.0/pra', false],
    ['google-site-verification=x', false],
  ])('%s is an SPF record: %s', (text, expected) => expect(isSpfRecord(text)).toBe(expected));

  it('parses mechanisms with qualifiers, domains and prefix lengths', () => {
    const parsed = parseSpf(
      'v=spf1 +a mx:mail.example.com/24 ~include:_spf.example.com ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.x.example.com ?ptr redirect=_spf.example.net exp=explain.example.com -all',
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.terms.map((t) => (t.kind === 'mechanism' ? `${t.qualifier}${t.name}${t.domain ? `:${t.domain}` : ''}` : `${t.name}=${t.value}`))).toEqual([
      '+a',
      '+mx:mail.example.com',
      '~include:_spf.example.com',
      '+ip4',
      '+ip6',
      '+exists:%{i}.x.example.com',
      '?ptr',
      'redirect=_spf.example.net',
      'exp=explain.example.com',
      '-all',
    ]);
    expect(parsed.redirect).toBe('_spf.example.net');
    expect(allQualifier(parsed)).toBe('-');
  });

  it('counts the terms that cost a DNS lookup: include, a, mx, ptr, exists, redirect', () => {
    const parsed = parseSpf('v=spf1 include:a.example a mx ptr exists:b.example ip4:192.0.2.1 ip6:::1 redirect=c.example exp=d.example -all');
    expect(parsed.terms.filter(costsLookup).map((t) => t.text)).toEqual(['include:a.example', 'a', 'mx', 'ptr', 'exists:b.example', 'redirect=c.example']);
  });

  it.each([
    ['v=spf1 foo:bar -all', 'unknown mechanism'],
    ['v=spf1 ip4:300.1.1.1 -all', 'not an IPv4'],
    ['v=spf1 include -all', 'include needs a domain'],
    ['v=spf1 include:nodot -all', 'include needs a domain'],
    ['v=spf1 a:example.com/33 -all', 'not a prefix length'],
    ['v=spf1 all:x', 'all takes no argument'],
    ['v=spf1 redirect=a.example redirect=b.example', 'more than one redirect'],
    ['v=spf1 redirect= -all', 'no domain'],
    ['v=spf1 a:exa%mple.com -all', 'a:exa%mple.com'],
  ])('%s is a permerror (%s)', (record, message) => {
    expect(parseSpf(record).errors.join('; ')).toContain(message);
  });

  it('accepts unknown modifiers (RFC 7208 §6) and a record without all', () => {
    const parsed = parseSpf('v=spf1 a custom=whatever');
    expect(parsed.errors).toEqual([]);
    expect(allQualifier(parsed)).toBeUndefined();
  });
});

describe('DMARC tags', () => {
  it('reads the policy and the alignment modes, relaxed by default', () => {
    expect(parseDmarc('v=DMARC1; p=reject; rua=mailto:d@example.com')).toMatchObject({
      policy: 'reject',
      aspf: 'r',
      adkim: 'r',
      pct: 100,
      errors: [],
      warnings: [],
    });
    expect(parseDmarc('v=DMARC1;p=quarantine;aspf=s;adkim=s;pct=20')).toMatchObject({ policy: 'quarantine', aspf: 's', adkim: 's', pct: 20 });
  });

  it.each([
    ['v=DMARC1; p=block', 'p=block is not none'],
    ['v=DMARC1; aspf=s', 'no p= tag'],
    ['p=reject; v=DMARC1', 'does not start with v=DMARC1'],
    ['v=DMARC1; p=none; p=reject', 'appears twice'],
  ])('%s is ignored by receivers (%s)', (record, message) => {
    const parsed = parseDmarc(record);
    expect(parsed.policy).toBeUndefined();
    expect(parsed.errors.join('; ')).toContain(message);
  });

  it('a wrong p=, sp= or np= makes the record p=none with a rua= address, and no DMARC without (RFC 9989 §4.10.1)', () => {
    const withRua = parseDmarc('v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com');
    expect(withRua).toMatchObject({ policy: 'none', errors: [] });
    expect(withRua.subdomainPolicy).toBeUndefined();
    expect(withRua.warnings).toEqual(['sp=bogus is not none, quarantine or reject: with a rua= address receivers treat the record as p=none']);
    expect(parseDmarc('v=DMARC1; p=block; rua=mailto:d@example.com!10m').policy).toBe('none');
    const without = parseDmarc('v=DMARC1; p=reject; np=drop');
    expect(without.policy).toBeUndefined();
    expect(without.errors).toEqual(['np=drop is not none, quarantine or reject (and no rua= address, so receivers apply no DMARC)']);
    // A rua= that names no address to send to does not count.
    expect(parseDmarc('v=DMARC1; p=block; rua=dmarc@example.com').policy).toBeUndefined();
  });

  it('treats a record with rua= but no p= as p=none, and warns about tags it does not know', () => {
    expect(parseDmarc('v=DMARC1; rua=mailto:d@example.com').policy).toBe('none');
    expect(parseDmarc('v=DMARC1; p=none; aspf=x; colour=blue').warnings).toEqual(['unknown tag colour= (ignored)', 'aspf=x is not r or s (receivers use r)']);
  });
});

describe('DMARC policy discovery (RFC 9989 tree walk)', () => {
  it('walks the parents nearest first, a long name cut to its last 7 labels (8 queries at most with its own)', () => {
    expect(dmarcTreeWalk('mail.example.com')).toEqual(['example.com', 'com']);
    expect(dmarcTreeWalk('example.com')).toEqual(['com']);
    // 8 labels: the parent has 7, so nothing is cut.
    expect(dmarcTreeWalk('a.b.c.d.e.f.example.com')[0]).toBe('b.c.d.e.f.example.com');
    expect(dmarcTreeWalk('a.b.c.d.e.f.g.h.i.j.mail.example.com')).toEqual([
      'g.h.i.j.mail.example.com',
      'h.i.j.mail.example.com',
      'i.j.mail.example.com',
      'j.mail.example.com',
      'mail.example.com',
      'example.com',
      'com',
    ]);
  });

  const find = (domain: string, record: string) => ({ domain, record });
  /** What inheritedDmarc returns for a find: the find, its parsed record, and what it is. */
  const applied = (f: { domain: string; record: string }, as: string) => ({ ...f, parsed: parseDmarc(f.record), as });
  it('takes the record highest up without psd=, the first psd=n, or the name below a psd=y', () => {
    const org = find('example.com', 'v=DMARC1; p=reject');
    expect(inheritedDmarc('a.mail.example.com', [find('mail.example.com', 'v=DMARC1; p=none'), org])).toEqual(applied(org, 'organizational domain'));
    const own = find('mail.example.com', 'v=DMARC1; p=none; psd=n');
    expect(inheritedDmarc('a.mail.example.com', [own, org])).toEqual(applied(own, 'organizational domain'));
    const suffix = find('com', 'v=DMARC1; p=reject; psd=y');
    expect(inheritedDmarc('a.mail.example.com', [suffix])).toEqual(applied(suffix, 'public suffix'));
    expect(inheritedDmarc('a.mail.example.com', [org, suffix])).toEqual(applied(org, 'organizational domain'));
    expect(inheritedDmarc('a.mail.example.com', [])).toBeUndefined();
  });

  it('gives a subdomain sp= (np= when it does not exist), each falling back to p=', () => {
    const parsed = { ...parseDmarc('v=DMARC1; p=reject; sp=quarantine; np=none'), policy: 'reject' as const };
    expect(subdomainPolicy(parsed, true)).toEqual({ tag: 'sp', policy: 'quarantine' });
    expect(subdomainPolicy(parsed, false)).toEqual({ tag: 'np', policy: 'none' });
    expect(subdomainPolicy({ ...parseDmarc('v=DMARC1; p=reject'), policy: 'reject' }, false)).toEqual({ tag: 'p', policy: 'reject' });
  });

  it('reads psd= and np=, and counts only records that begin with v=DMARC1 as DMARC records', () => {
    expect(parseDmarc('v=DMARC1; p=none; psd=y; np=reject')).toMatchObject({ publicSuffix: 'y', nonexistentPolicy: 'reject' });
    expect(parseDmarc('v=DMARC1; p=none; psd=maybe').warnings).toEqual(['psd=maybe is not y, n or u (ignored)']);
    const records = ['v=DMARC1; p=none', 'v=DMARC1', 'v=DMARC1x; p=none', 'p=none; v=DMARC1', 'v=spf1 -all'];
    expect(dmarcRecordsIn({ kind: 'found', records })).toEqual(['v=DMARC1; p=none', 'v=DMARC1']);
    expect(dmarcRecordsIn({ kind: 'nodata' })).toEqual([]);
  });
});

describe('DKIM keys', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');

  it('accepts an RSA key as SPKI DER, folded or not, and an Ed25519 key raw (RFC 8463)', () => {
    expect(checkDkimRecord(`v=DKIM1; k=rsa; p=${rsa}`)).toEqual({ kind: 'valid', keyType: 'rsa', bits: 1024 });
    expect(checkDkimRecord(`p=${rsa.slice(0, 50)} ${rsa.slice(50)}`)).toMatchObject({ kind: 'valid' });
    expect(checkDkimRecord(`v=DKIM1; k=ed25519; p=${ed}`)).toEqual({ kind: 'valid', keyType: 'ed25519' });
  });

  it('tells a revoked key (empty p=) from one that does not parse', () => {
    expect(checkDkimRecord('v=DKIM1; p=')).toEqual({ kind: 'revoked' });
    expect(checkDkimRecord('v=DKIM1; p=bm90IGEga2V5')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('does not parse') });
    expect(checkDkimRecord('v=DKIM1; p=***')).toMatchObject({ kind: 'invalid', reason: 'p= is not base64' });
    expect(checkDkimRecord('v=DKIM1; k=rsa')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('no p=') });
    expect(checkDkimRecord(`v=DKIM2; p=${rsa}`)).toMatchObject({ kind: 'invalid' });
  });
});

describe('arguments', () => {
  it.each([
    ['example.com', 'example.com'],
    ['Example.COM.', 'example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ])('domain %s is asked for as %s', (text, ascii) => expect(domainFromArgument(text)).toBe(ascii));

  it.each(['you@example.com', 'localhost', 'exa mple.com', '-x.example', ''])('%j is not a domain', (text) => {
    expect(() => domainFromArgument(text)).toThrow(/not a domain name/);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.0.0.1:5353', '127.0.0.1:5353'],
    ['::1', '::1'],
    ['[::1]:5353', '[::1]:5353'],
  ])('--dns-server %s', (text, server) => expect(dnsServerFromFlag(text)).toBe(server));

  it.each(['localhost', '127.0.0.1:99999', '300.0.0.1', '[::1', 'dns.example:53'])('--dns-server %s is a usage error', (text) => {
    expect(() => dnsServerFromFlag(text)).toThrow(/not an IP address/);
  });
});

it('deliverability (exit 12) comes after every failure of the sending path and before warnings', () => {
  expect(ExitCode.deliverability).toBe(12);
  expect(exitCodeFor(['deliverability', 'warnings'])).toBe(ExitCode.deliverability);
  expect(exitCodeFor(['deliverability', 'temporary'])).toBe(ExitCode.temporary);
  expect(exitCodeFor(['deliverability', 'network'])).toBe(ExitCode.network);
});

it('the README lists every exit code', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('## JSON output'));
  for (const code of Object.values(ExitCode)) expect(table).toContain(`| ${code} |`);
});
