import { describe, expect, it } from 'vitest';
import { knownProviders, providerInfo, recogniseProvider, tlsModeForPort } from '../../src/config/providers.js';
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
