import { runDoctor } from '../../lib/doctor/index.ts';
import type { CheckStatus, DoctorCheck, DoctorReport } from '../../lib/doctor/index.ts';
import { vidbotError } from '../../lib/errors.ts';
import { type CliContext, flag, loadCliConfig } from '../context.ts';
import { formatDuration, terminalColumns, wrapWords } from '../format.ts';

export interface DoctorFlags {
  json?: boolean;
  /** The server's public URL, instead of PUBLIC_BASE_URL. */
  server?: string;
}

const MARKS: Readonly<Record<CheckStatus, string>> = { pass: '✔', warn: '!', fail: '✖', skip: '-' };

/** "7 passed, 1 warning, 1 failed, 3 skipped" (zero warnings, failures and skips are left out). */
export const summarize = (counts: DoctorReport['counts']): string => {
  const parts = [`${counts.pass} passed`];
  if (counts.warn > 0) parts.push(`${counts.warn} warning${counts.warn === 1 ? '' : 's'}`);
  if (counts.fail > 0) parts.push(`${counts.fail} failed`);
  if (counts.skip > 0) parts.push(`${counts.skip} skipped`);
  return parts.join(', ');
};

/**
 * The readable report: one aligned line per check, its fix indented under it, then the summary. On
 * a terminal (`columns`), long lines wrap under their own column rather than at its left edge.
 */
export const formatReport = (report: DoctorReport, columns?: number): string => {
  const width = Math.max(...report.checks.map((check) => check.title.length)) + 2;
  const indent = 2 + width;
  const line = (check: DoctorCheck): string[] => {
    const took = check.durationMs >= 1000 ? ` (${formatDuration(check.durationMs)})` : '';
    const lines = wrapWords(`${MARKS[check.status]} ${check.title.padEnd(width)}${check.detail}${took}`, columns, indent);
    if (check.fix && check.status !== 'pass' && check.status !== 'skip') {
      const fix = wrapWords(`fix: ${check.fix}`, columns === undefined ? undefined : columns - indent, 5);
      lines.push(...fix.map((part) => `${' '.repeat(indent)}${part}`));
    }
    return lines;
  };
  return [...report.checks.flatMap(line), '', summarize(report.counts), ''].join('\n');
};

/** `vidbot doctor`: checks the setup, prints what it found, and exits non-zero when a check failed. */
export const doctorCommand = async (context: CliContext, flags: DoctorFlags): Promise<void> => {
  // Every invalid setting is reported, not only the first; the other checks run on what each had below it.
  const { config, invalid } = await loadCliConfig(context, { publicBaseUrl: flag('--server', flags.server) }, { collectInvalid: true });
  const report = await runDoctor(config, { env: { ...context.env }, invalidSettings: invalid, ...(flags.server ? { publicUrlName: '--server' } : {}) });
  if (flags.json) {
    context.stdout.write(`${JSON.stringify({ ok: report.ok, counts: report.counts, checks: report.checks })}\n`);
  } else {
    context.stdout.write(formatReport(report, terminalColumns(context.stdout)));
  }
  if (report.ok) return;
  const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
  // The report already went to stdout (as JSON with --json): the error adds only its stderr lines.
  throw vidbotError('VIDBOT_DOCTOR_FAILED', `vidbot doctor: ${failed.length} check${failed.length === 1 ? '' : 's'} failed (${failed.join(', ')}).`, {
    details: { failed, reported: true },
    // As JSON there are no ✖ lines to point at (the catalogue's hint does): the report's checks say it.
    ...(flags.json ? { hint: 'Each check with "status": "fail" in the report has its fix; run `vidbot doctor` again after fixing.' } : {}),
  });
};
