/**
 * A child of bench/pipeline.ts, so its memory is measured alone. argv: compress <input> <output> |
 * idle. Prints one JSON line: the process's resident set before the work, at its largest
 * (getrusage's maxRSS), and what ffmpeg reported for itself.
 */
import { resourceUsage } from 'node:process';

const [what, input = '', output = ''] = process.argv.slice(2);
const before = process.memoryUsage().rss;

if (what === 'compress') {
  const { compressForWhatsApp } = await import('../src/lib/compressor/ffmpeg.ts');
  const { locateFfmpeg } = await import('../src/lib/ffmpeg/locate.ts');
  const bins = await locateFfmpeg();
  const loaded = process.memoryUsage().rss;
  const started = performance.now();
  const result = await compressForWhatsApp(input, { ...bins, output });
  process.stdout.write(
    `${JSON.stringify({ before: loaded, peak: resourceUsage().maxRSS * 1024, seconds: (performance.now() - started) / 1000, mode: result.mode, bytes: result.output.sizeBytes })}\n`,
  );
} else {
  // The baseline: a Node process that does nothing.
  process.stdout.write(`${JSON.stringify({ before, peak: resourceUsage().maxRSS * 1024 })}\n`);
}
