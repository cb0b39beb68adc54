#!/usr/bin/env node
// Generates schema/report.v1.json, the JSON Schema of `--json` output, from the TypeScript type
// that produces it (`Report` in src/report/model.ts), so the schema cannot drift from the code: a
// test (test/unit/schema.test.ts) regenerates it and fails when the committed file differs.
//
//   npm run schema            write schema/report.v1.json
//   npm run schema -- --check exit 1 when the committed file is not what the types give now
//
// ts-json-schema-generator writes draft-07 (`definitions`, `#/definitions/...`); the schema is
// published as draft 2020-12, so the output is moved to `$defs`. Nothing else needs converting:
// the generator emits no tuple `items` arrays or `dependencies` for these types, and the function
// fails loudly if it ever does rather than publish a draft-07 keyword under a 2020-12 `$schema`.
// Interfaces without an index signature come out with `additionalProperties: false`: a key added
// to the report without regenerating the schema fails validation (test/fixtures/report-schema.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const root = fileURLToPath(new URL('..', import.meta.url));
export const schemaPath = `${root}schema/report.v1.json`;

export function generateSchema() {
  const generated = createGenerator({
    path: `${root}src/report/model.ts`,
    tsconfig: `${root}tsconfig.json`,
    type: 'Report',
    topRef: false,
    expose: 'export',
    jsDoc: 'extended',
    additionalProperties: false,
    sortProps: true,
  }).createSchema('Report');
  const {
    $schema: _draft07,
    definitions,
    ...top
  } = JSON.parse(
    JSON.stringify(generated, (key, value) => {
      if (key === '$ref' && typeof value === 'string') {
        if (!value.startsWith('#/definitions/')) throw new Error(`unexpected $ref ${value}`);
        return `#/$defs/${value.slice('#/definitions/'.length)}`;
      }
      if ((key === 'items' && Array.isArray(value)) || key === 'additionalItems' || key === 'dependencies') {
        throw new Error(`draft-07 keyword "${key}" in the generated schema: convert it for 2020-12 in scripts/schema.mjs`);
      }
      return value;
    }),
  );
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://unpkg.com/mailcheck-cli/schema/report.v1.json',
    title: 'mailcheck --json report, schemaVersion 1',
    description:
      'The one JSON document `mailcheck <command> --json` prints on stdout, on every exit. Generated from src/report/model.ts by `npm run schema`; do not edit by hand.',
    ...top,
    $defs: definitions ?? {},
  };
}

export function schemaText() {
  return `${JSON.stringify(generateSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = schemaText();
  if (process.argv.includes('--check')) {
    const committed = readFileSync(schemaPath, 'utf8');
    if (committed !== text) {
      console.error('schema/report.v1.json is not what src/report/model.ts gives now: run `npm run schema` and commit it');
      process.exit(1);
    }
  } else {
    writeFileSync(schemaPath, text);
  }
}
