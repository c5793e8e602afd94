// A conformance report as the command line prints it: a table of checks, then each failure's message.
import type { ConformanceReport } from './run.js';

/** A report as a plain-text table, with each failure's message under it. */
export function formatReport(report: ConformanceReport): string {
  const rows = report.results.map((r) => [
    r.pageSize === undefined ? '-' : String(r.pageSize),
    String(r.level),
    r.id,
    r.status,
    r.status === 'skipped' ? '' : `${Math.round(r.ms)} ms`,
  ]);
  const header = ['page size', 'level', 'check', 'result', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const total = report.results.reduce((sum, r) => sum + r.ms, 0);
  out.push('', `${report.name}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped (${(total / 1000).toFixed(1)} s)`);
  const failures = report.results.filter((r) => r.status === 'failed');
  if (failures.length > 0) {
    out.push('');
    for (const f of failures)
      out.push(
        `✗ ${f.id} at ${f.pageSize}-byte pages: ${f.title}`,
        ...String(f.error?.message ?? f.error)
          .split('\n')
          .map((l) => `    ${l}`),
      );
  }
  return out.join('\n');
}
