import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintIds } from '../../src/config/lint.js';
import { diagnosisIds } from '../../src/checks/diagnosis-ids.js';

/**
 * Ids are public: CI scripts and JSON consumers branch on them, and the README lists them. The
 * lists there and the registries here must be the same sets (reachability of each id is tested
 * beside its rules: lint.test.ts, diagnose-smtp.test.ts, resend-rules.test.ts, integration/dns-rules.test.ts).
 */
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function listed(heading: string): string[] {
  const paragraph = new RegExp(`^${heading.replace(/[()[\]`.]/g, '\\$&')}: ([^\\n]+)$`, 'm').exec(readme)?.[1];
  if (paragraph === undefined) throw new Error(`README has no line starting "${heading}:"`);
  return [...paragraph.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

describe('the README lists every id, and only those', () => {
  it('lint ids', () => {
    expect(listed('Lint ids (`lint[].id`)').sort()).toEqual([...lintIds].sort());
  });

  it('diagnosis ids, from every producer', () => {
    expect(listed('Diagnosis ids (`diagnoses[].id`)').sort()).toEqual([...diagnosisIds].sort());
  });
});
