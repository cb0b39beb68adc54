import { describe, expect, it } from 'vitest';
import { diagnosisIds } from '../../src/checks/diagnosis-ids.js';
import { loadConfig } from '../../src/config/load.js';
import { implicitTlsPorts, knownProviders, providerInfo, recogniseProvider, starttlsPorts, tlsModeForPort } from '../../src/config/providers.js';
import { defaultProbePorts } from '../../src/probe/targets.js';
import { concreteFix } from '../../src/interactive/fix-offer.js';
import { explainPreset, findPreset, presets, type SmtpPreset } from '../../src/interactive/presets.js';

/**
 * The provider registry (config/providers.ts) is the one home of provider facts; guided set-up
 * (interactive/presets.ts) reads its hosts, ports, TLS modes and usernames from it. These tests
 * hold the two together: what `init` writes is what lint and diagnosis recognise.
 */

const smtpPreset = (id: string): SmtpPreset => {
  const preset = findPreset(id);
  if (preset?.kind !== 'smtp') throw new Error(`no SMTP preset ${id}`);
  return preset;
};

describe('every provider in the registry has a preset that agrees with it', () => {
  it.each(knownProviders)('%s', (id) => {
    const info = providerInfo(id);
    const preset = smtpPreset(id);
    const host = preset.host?.(preset.region?.default);
    expect(host).toBeDefined();
    // The host set-up writes is recognised as this provider, so lint and diagnosis speak its conventions.
    expect(recogniseProvider(host)?.id).toBe(id);
    expect({ port: preset.port, tls: preset.secure ? 'implicit' : 'starttls' }).toEqual(info.smtp.ports.recommended);
    expect(preset.user.kind === 'fixed' ? preset.user.value : undefined).toBe(info.fixedUser);
    const lines = Object.fromEntries(explainPreset(preset, preset.region?.default).map((l) => [l.variable, l.value]));
    expect(lines).toMatchObject({ SMTP_HOST: host, SMTP_PORT: String(info.smtp.ports.recommended.port), SMTP_SECURE: preset.secure ? '1' : '0' });
  });

  it('and every host a preset names in its words is that provider’s', () => {
    for (const preset of presets) {
      if (preset.kind !== 'smtp' || preset.id === 'other') continue;
      const words = [preset.summary, preset.hostWhy ?? '', preset.portWhy ?? ''].join(' ');
      const hosts = [...words.matchAll(/\b(?:smtp|email-smtp)[a-z0-9.-]*\.[a-z]{2,}\b/g)].map((m) => m[0].replace('<region>', 'us-east-1'));
      for (const host of hosts) expect(recogniseProvider(host)?.id, `${preset.id}: ${host}`).toBe(preset.id);
    }
  });

  it('there is no SMTP preset for a provider the registry does not know, other than "other"', () => {
    const smtpIds = presets.filter((p) => p.kind === 'smtp').map((p) => p.id);
    expect(smtpIds.sort()).toEqual([...knownProviders, 'other'].sort());
  });
});

describe('the registry follows the port conventions it states', () => {
  it.each(knownProviders)('%s: each documented port speaks the TLS mode its convention implies', (id) => {
    const { recommended, fallback } = providerInfo(id).smtp.ports;
    for (const p of [recommended, ...(fallback ? [fallback] : [])]) expect(tlsModeForPort(p.port)).toBe(p.tls);
    for (const port of providerInfo(id).smtp.unsupportedPorts ?? []) expect([recommended.port, fallback?.port]).not.toContain(port);
  });

  it('a host with a trailing dot or another case is still recognised; an unknown one is not', () => {
    expect(recogniseProvider('SMTP.Resend.com.')).toMatchObject({ id: 'resend', label: "Resend's SMTP relay" });
    expect(recogniseProvider('email-smtp.eu-west-1.amazonaws.com')?.id).toBe('ses');
    expect(recogniseProvider('smtp.eu.mailgun.org')?.id).toBe('mailgun');
    expect(recogniseProvider('smtp.example.com')).toBeUndefined();
  });
});

describe('a fixed username is a fix mailcheck can make itself', () => {
  const withFixedUser = knownProviders.filter((id) => providerInfo(id).fixedUser !== undefined);

  it.each(withFixedUser)('%s: its lint finding and its 535 diagnosis both set the username', (id) => {
    const info = providerInfo(id);
    // Providers with a fixed username have one relay host (no region in it).
    const host = typeof info.smtp.host === 'string' ? info.smtp.host : info.smtp.host('us-east-1');
    const loaded = loadConfig({
      env: {
        SMTP_HOST: host,
        SMTP_PORT: '587',
        SMTP_SECURE: '0',
        SMTP_USER: 'me@example.com',
        SMTP_PASSWORD: 'x'.repeat(20),
        SMTP_SENDER: 'app@example.com',
      },
      envFiles: [],
    });
    const lintIds = loaded.lint.filter((f) => f.status === 'fail').map((f) => f.id);
    expect(lintIds).toContain(`${id}.user`);
    for (const problemId of [`${id}.user`, `auth.${id}-username`]) {
      expect(diagnosisIds.includes(problemId as never) || lintIds.includes(problemId as never), problemId).toBe(true);
      expect(concreteFix({ id: problemId }, loaded), problemId).toEqual({ user: info.fixedUser });
    }
    // Not for another provider's host: the username is only right for its own relay.
    const elsewhere = loadConfig({ env: { SMTP_HOST: 'smtp.example.com', SMTP_USER: 'me' }, envFiles: [] });
    expect(concreteFix({ id: `${id}.user` }, elsewhere)).toBeUndefined();
  });
});

describe("the probe's ports are the registry's port conventions", () => {
  it('every port it tries by default has a TLS mode in the registry, and every port the registry knows is tried', () => {
    expect([...defaultProbePorts].sort()).toEqual([...implicitTlsPorts, ...starttlsPorts].sort());
  });
});
