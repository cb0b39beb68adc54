/** Types for schema.mjs (plain JavaScript so `npm run schema` needs no TypeScript loader). */
export const schemaPath: string;
export function generateSchema(): Record<string, unknown>;
export function schemaText(): string;
