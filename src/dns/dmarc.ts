/** DMARC records (RFC 7489 §6.3), read for the policy and the alignment modes. Pure. */

type DmarcPolicy = 'none' | 'quarantine' | 'reject';
type AlignmentMode = 'r' | 's';

export interface ParsedDmarc {
  /** Absent when the record is not valid (then receivers ignore it: no DMARC at all). */
  policy?: DmarcPolicy;
  subdomainPolicy?: DmarcPolicy;
  aspf: AlignmentMode;
  adkim: AlignmentMode;
  pct: number;
  rua?: string;
  /** Errors that make receivers ignore the record. */
  errors: string[];
  /** Tags that are wrong but not fatal (receivers fall back to the default). */
  warnings: string[];
}

const knownTags = new Set(['v', 'p', 'sp', 'adkim', 'aspf', 'pct', 'rua', 'ruf', 'fo', 'rf', 'ri', 'np', 't', 'psd']);
const policies: readonly string[] = ['none', 'quarantine', 'reject'];

/** `v=DMARC1` first, then tag=value pairs separated by `;` (§6.4). */
function isDmarcRecord(text: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/i.test(text);
}

export function parseTags(text: string): { tags: Map<string, string>; duplicates: string[]; malformed: string[] } {
  const tags = new Map<string, string>();
  const duplicates: string[] = [];
  const malformed: string[] = [];
  for (const part of text.split(';')) {
    const piece = part.trim();
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    if (eq <= 0) {
      malformed.push(piece);
      continue;
    }
    const name = piece.slice(0, eq).trim().toLowerCase();
    const value = piece.slice(eq + 1).trim();
    if (tags.has(name)) duplicates.push(name);
    else tags.set(name, value);
  }
  return { tags, duplicates, malformed };
}

export function parseDmarc(record: string): ParsedDmarc {
  const { tags, duplicates, malformed } = parseTags(record);
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!isDmarcRecord(record)) errors.push('the record does not start with v=DMARC1');
  for (const name of duplicates) errors.push(`the tag ${name}= appears twice`);
  for (const piece of malformed) warnings.push(`"${piece}" is not a tag=value pair`);
  for (const name of tags.keys()) if (!knownTags.has(name)) warnings.push(`unknown tag ${name}= (ignored)`);

  const p = tags.get('p')?.toLowerCase();
  let policy: DmarcPolicy | undefined;
  if (p === undefined) {
    // §6.6.3: without p=, a record with a valid rua= is treated as p=none.
    if (tags.has('rua')) {
      policy = 'none';
      warnings.push('no p= tag: receivers treat the record as p=none');
    } else errors.push('no p= tag (the policy is required)');
  } else if (policies.includes(p)) policy = p as DmarcPolicy;
  else errors.push(`p=${tags.get('p')} is not none, quarantine or reject`);

  const sp = tags.get('sp')?.toLowerCase();
  if (sp !== undefined && !policies.includes(sp)) warnings.push(`sp=${tags.get('sp')} is not none, quarantine or reject (ignored)`);
  const mode = (name: 'aspf' | 'adkim'): AlignmentMode => {
    const value = tags.get(name)?.toLowerCase();
    if (value === undefined || value === 'r') return 'r';
    if (value === 's') return 's';
    warnings.push(`${name}=${tags.get(name)} is not r or s (receivers use r)`);
    return 'r';
  };
  const aspf = mode('aspf');
  const adkim = mode('adkim');
  let pct = 100;
  const pctText = tags.get('pct');
  if (pctText !== undefined) {
    if (/^\d{1,3}$/.test(pctText) && Number(pctText) <= 100) pct = Number(pctText);
    else warnings.push(`pct=${pctText} is not a number from 0 to 100 (receivers use 100)`);
  }
  const parsed: ParsedDmarc = { aspf, adkim, pct, errors, warnings };
  if (errors.length === 0 && policy) parsed.policy = policy;
  if (sp !== undefined && policies.includes(sp)) parsed.subdomainPolicy = sp as DmarcPolicy;
  const rua = tags.get('rua');
  if (rua) parsed.rua = rua;
  return parsed;
}
