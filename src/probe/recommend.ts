import { modeLabels, probeModes, secureValueFor, type ProbeCell, type ProbeMode, type Recommendation } from '../report/probe.js';

/** The usual order of preference: implicit TLS on 465 first, then STARTTLS on 587 (Resend, SES, Gmail agree). */
const preferred: readonly { port: number; mode: ProbeMode }[] = [
  { port: 465, mode: 'implicit-tls' },
  { port: 587, mode: 'starttls' },
  { port: 2465, mode: 'implicit-tls' },
  { port: 2587, mode: 'starttls' },
  { port: 2525, mode: 'starttls' },
  { port: 25, mode: 'starttls' },
];

export interface RecommendInput {
  cells: ProbeCell[];
  /** The variable names the user set (SMTP_PORT, SMTP_SECURE or their aliases). */
  names: { port: string; secure: string };
  /** What the configuration asks for: kept when it works as well as anything else does. */
  configured?: { port: number; mode: ProbeMode };
}

/**
 * Picks the best working combination. In order: TLS with a verified certificate, then TLS, and
 * plain text only when no TLS option works; the credentials were accepted (with --auth); works
 * over every address family; the configured combination; the usual port preference.
 */
export function recommend(input: RecommendInput): Recommendation | undefined {
  const families = [...new Set(input.cells.map((c) => c.family))];
  const combos = new Map<string, ProbeCell[]>();
  for (const cell of input.cells) {
    if (cell.status !== 'works') continue;
    const key = `${cell.port}/${cell.mode}`;
    combos.set(key, [...(combos.get(key) ?? []), cell]);
  }
  const portOrder = [...new Set(input.cells.map((c) => c.port))];
  const ranked = [...combos.values()].map((working) => {
    const { port, mode } = working[0]!;
    const verified = mode !== 'plaintext' && working.every((c) => c.tls?.authorized === true);
    const logins = working.map((c) => c.login?.status);
    const preference = preferred.findIndex((p) => p.port === port && p.mode === mode);
    const rank = [
      mode === 'plaintext' ? 2 : verified ? 0 : 1,
      logins.includes('ok') ? 0 : logins.includes('failed') ? 2 : 1,
      families.every((f) => working.some((c) => c.family === f)) ? 0 : 1,
      input.configured?.port === port && input.configured.mode === mode ? 0 : 1,
      preference === -1 ? preferred.length : preference,
      probeModes.indexOf(mode),
      portOrder.indexOf(port),
    ];
    const recommendation: Recommendation = {
      port,
      mode,
      secure: secureValueFor(mode),
      lines: [`${input.names.port}=${port}`, `${input.names.secure}=${secureValueFor(mode)}`],
      families: [...new Set(working.map((c) => c.family))].sort(),
      verified,
    };
    return { rank, recommendation };
  });
  ranked.sort((a, b) => compareRanks(a.rank, b.rank));
  return ranked[0]?.recommendation;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** "implicit TLS on port 465 over IPv4 and IPv6, certificate verified" */
export function describeRecommendation(r: Recommendation): string {
  const over = r.families.map((f) => `IPv${f}`).join(' and ');
  const security = r.mode === 'plaintext' ? 'NO encryption' : r.verified ? 'certificate verified' : 'certificate NOT verified';
  return `${modeLabels[r.mode]} on port ${r.port} over ${over}, ${security}`;
}
