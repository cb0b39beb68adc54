import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { earlyEndReport, type Report } from '../../src/report/model.js';
import { checkJsonReport } from '../fixtures/cli.js';
import { reportErrors, reportSchema } from '../fixtures/report-schema.js';
import { schemaPath, schemaText } from '../../scripts/schema.mjs';

/**
 * schema/report.v1.json is generated from the Report type (`npm run schema`). These tests keep
 * the committed file and the types in step, and check that the schema is strict where the type is
 * closed, so that it catches a new key and not only a wrong type.
 */

describe('schema/report.v1.json', () => {
  it('is exactly what `npm run schema` generates from src/report/model.ts now', () => {
    // A change to the report types without regenerating the schema fails here.
    expect(readFileSync(schemaPath, 'utf8')).toBe(schemaText());
  }, 30_000);

  it('is draft 2020-12, with every definition in $defs and every $ref resolving', () => {
    expect(reportSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const text = JSON.stringify(reportSchema);
    expect(text).not.toContain('#/definitions/');
    const defs = reportSchema.$defs as Record<string, unknown>;
    const refs = [...text.matchAll(/"\$ref":"#\/\$defs\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((name) => !(name in defs))).toEqual([]);
    // The types the issue names are all described.
    for (const name of ['LintFinding', 'Diagnosis', 'TlsInfo', 'ProbeReport', 'TranscriptLine', 'StageTiming', 'ReportError', 'Source', 'FailureClass']) {
      expect(defs, name).toHaveProperty(name);
    }
  });

  it('closes every object: no object in the schema allows keys it does not name', () => {
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        for (const [i, n] of node.entries()) walk(n, `${path}/${i}`);
        return;
      }
      if (!node || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if (o.type === 'object' && o.additionalProperties !== false) open.push(path);
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    walk(reportSchema, '#');
    expect(open).toEqual([]);
  });
});

describe('validating against it', () => {
  const early = (): Report => earlyEndReport('doctor', 'usage', { message: "unknown option '--bogus'", hint: 'see --help' }, 12);

  it('accepts the report of an early end (provider.kind "unknown", error key)', () => {
    expect(reportErrors(early())).toBeNull();
  });

  it.each([
    ['a key the report type does not have', (r: any) => (r.extra = 1), 'additionalProperties'],
    ['a key inside result', (r: any) => (r.result.extraKey = true), 'additionalProperties'],
    ['a key inside a lint finding', (r: any) => r.lint.push({ id: 'x', status: 'warn', message: 'm', colour: 'red' }), 'additionalProperties'],
    ['an unknown failure class', (r: any) => (r.result.failureClass = 'flaky'), 'enum'],
    ['an unknown provider kind', (r: any) => (r.provider.kind = 'sendgrid'), 'anyOf'],
    ['a lint source of an unknown kind', (r: any) => r.lint.push({ id: 'x', status: 'warn', message: 'm', source: { kind: 'vault' } }), 'anyOf'],
    ['a missing required key', (r: any) => delete r.timings, 'required'],
    ['a string where a number belongs', (r: any) => (r.result.exitCode = '2'), 'type'],
    ['a check status that does not exist', (r: any) => r.checks.push({ id: 'smtp.auth', status: 'maybe', title: 't' }), 'enum'],
  ])('rejects %s', (_name, change, keyword) => {
    const report = early();
    change(report);
    const errors = reportErrors(report);
    expect(errors).not.toBeNull();
    expect(errors!.map((e) => e.keyword)).toContain(keyword);
  });
});

describe('the central hook in test/fixtures/cli.ts', () => {
  it('throws, with the ajv errors, for --json output that violates the schema', () => {
    const stdout = JSON.stringify({ ...earlyEndReport('doctor', 'usage', { message: 'm' }, 1), surprise: true });
    expect(() => checkJsonReport(['doctor', '--json'], { stdout })).toThrow(/does not match schema\/report\.v1\.json:\n.*additional properties/);
  });

  it('leaves runs without --json, and stdout that is not JSON, to the tests themselves', () => {
    expect(() => checkJsonReport(['doctor'], { stdout: '{"surprise":true}' })).not.toThrow();
    expect(() => checkJsonReport(['doctor', '--json'], { stdout: '' })).not.toThrow();
  });
});
