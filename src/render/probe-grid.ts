import { describeRecommendation } from '../probe/recommend.js';
import { styles, type Styles } from './style.js';
import { modeLabels, probeModes, type CellStatus, type ProbeCell, type ProbeReport } from '../report/probe.js';

const statusWords: Record<CellStatus, string> = {
  works: '✔ works',
  'tls-mismatch': '✖ TLS mismatch',
  refused: '✖ refused',
  timeout: '… timed out',
  error: '✖ failed',
};

const column = 18;

/**
 * The human form of a probe: one port x mode grid per address family, the details of the cells
 * worth reading, and the recommended lines last. All text in the cells is already terminal-safe.
 */
export function renderProbe(report: ProbeReport, color: boolean): string {
  const c = styles(color);
  const lines: string[] = [c.bold(`probe of ${report.host}: ${report.cells.length} attempts, each bounded by ${report.timeoutMs} ms`), ''];
  const label = (port: number) => `${port}${report.configured?.port === port ? ' (configured)' : ''}`;
  const labelWidth = Math.max(column, ...report.ports.map((p) => label(p).length + 2));
  for (const { family, address } of report.addresses) {
    const cells = report.cells.filter((cell) => cell.address === address);
    lines.push(c.bold(`IPv${family} ${address}`.padEnd(labelWidth + 2)) + probeModes.map((m) => c.bold(modeLabels[m].padEnd(column))).join(''));
    for (const port of report.ports) {
      const row = probeModes.map((mode) => {
        const cell = cells.find((x) => x.port === port && x.mode === mode);
        return cell ? paint(c, cell.status, statusWords[cell.status].padEnd(column)) : ''.padEnd(column);
      });
      lines.push(`  ${label(port).padEnd(labelWidth)}${row.join('')}`);
    }
    lines.push('');
  }
  const details = report.cells.filter((cell) => cell.status === 'works' || cell.status === 'error' || cell.status === 'tls-mismatch');
  if (details.length) {
    lines.push(c.bold('details'));
    const multiFamily = report.addresses.length > 1;
    for (const cell of details) {
      const where = `${cell.port} ${modeLabels[cell.mode]}${multiFamily ? ` (IPv${cell.family})` : ''}`;
      lines.push(`  ${paint(c, cell.status, where.padEnd(28))} ${describeCell(cell)}`);
    }
    lines.push('');
  }
  const rec = report.recommendation;
  if (rec) {
    lines.push(c.bold(`recommended: ${describeRecommendation(rec)}`), ...rec.lines.map((line) => c.green(line)));
  } else {
    lines.push(c.bold(c.red('no working combination found')));
  }
  return `${lines.map((line) => line.trimEnd()).join('\n')}\n`;
}

function describeCell(cell: ProbeCell): string {
  if (cell.status !== 'works') return `${cell.detail ?? cell.status}${cell.greeting ? `  <- ${cell.greeting}` : ''}`;
  const parts: string[] = [];
  if (cell.tls)
    parts.push(`${cell.tls.protocol}, certificate ${cell.tls.authorized ? 'verified' : `NOT verified (${cell.tls.authorizationError ?? 'unknown reason'})`}`);
  else parts.push('no encryption');
  const caps = cell.capabilities;
  if (caps) parts.push(caps.authOffered ? `AUTH ${caps.authMechanisms.join(' ') || '(no mechanisms listed)'}` : 'AUTH not offered');
  if (cell.mode === 'plaintext' && caps) parts.push(caps.starttlsOffered ? 'STARTTLS offered' : 'STARTTLS not offered');
  const login = cell.login;
  if (login)
    parts.push(
      login.status === 'ok'
        ? 'login accepted'
        : login.status === 'failed'
          ? `login REJECTED: ${login.failure.response ?? login.failure.message}`
          : `login ${login.reason}`,
    );
  parts.push(`${cell.ms} ms`);
  return `${parts.join(', ')}${cell.greeting ? `  <- ${cell.greeting}` : ''}`;
}

function paint(c: Styles, status: CellStatus, text: string): string {
  return status === 'works' ? c.green(text) : status === 'timeout' ? c.yellow(text) : c.red(text);
}
