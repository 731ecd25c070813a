/**
 * Benchmarks vidbot's WhatsApp compressor against a naive `ffmpeg -crf 28` on generated clips.
 * Run with `npm run bench:compress`; writes the table to docs/benchmarks/compress.md.
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { compressForWhatsApp } from '../src/lib/compressor/ffmpeg.ts';
import { WHATSAPP_MAX_BYTES_DEFAULT } from '../src/lib/compressor/port.ts';
import { locateFfmpeg } from '../src/lib/ffmpeg/locate.ts';
import { probeVideo } from '../src/lib/ffmpeg/probe.ts';

const LIMIT = WHATSAPP_MAX_BYTES_DEFAULT;
const bins = await locateFfmpeg();
const dir = await mkdtemp(path.join(os.tmpdir(), 'vidbot-bench-'));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Source {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
}

const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
const x264 = (preset: string, bitrate: string) => [
  '-c:v', 'libx264', '-preset', preset, '-profile:v', 'high', '-pix_fmt', 'yuv420p',
  '-b:v', bitrate, '-maxrate', bitrate, '-bufsize', bitrate,
];
const aac = ['-c:a', 'aac', '-b:a', '128k'];
const src = (filter: string) => ['-f', 'lavfi', '-i', filter];

const sources: Source[] = [
  {
    // Noise keeps the bitrate honest: a static test pattern would compress to nothing.
    name: '60 s 1080p30, high bitrate',
    file: 'hd-60s.mp4',
    args: [...src('testsrc2=size=1920x1080:rate=30,noise=alls=20:allf=t'), ...tone, '-t', '60', ...x264('ultrafast', '7M'), ...aac],
  },
  {
    name: '20 s 4K',
    file: 'uhd-20s.mp4',
    args: [...src('testsrc2=size=3840x2160:rate=30,noise=alls=10:allf=t'), ...tone, '-t', '20', ...x264('ultrafast', '20M'), ...aac],
  },
  {
    name: '20 s 720p, already compliant',
    file: 'compliant-20s.mp4',
    args: [...src('testsrc2=size=1280x720:rate=30,noise=alls=8:allf=t'), ...tone, '-t', '20', ...x264('veryfast', '1900k'), ...aac],
  },
  {
    name: '10 s 720p, no audio',
    file: 'silent-10s.mp4',
    args: [...src('testsrc2=size=1280x720:rate=30,noise=alls=8:allf=t'), '-t', '10', ...x264('veryfast', '2M')],
  },
  {
    name: '15 s vertical 1080x1920',
    file: 'vertical-15s.mp4',
    args: [...src('testsrc2=size=1080x1920:rate=30,noise=alls=15:allf=t'), ...tone, '-t', '15', ...x264('ultrafast', '8M'), ...aac],
  },
];

const seconds = (started: number): number => (performance.now() - started) / 1000;

/** SSIM of `encoded` against `reference`, scaling the encode back to the reference's frame size. */
const ssim = async (encoded: string, reference: string, width: number, height: number): Promise<number> => {
  const { stderr } = await execa(bins.ffmpeg, [
    '-hide_banner', '-nostdin', '-i', encoded, '-i', reference,
    '-lavfi', `[0:v]scale=${width}:${height}:flags=bicubic,format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]ssim`,
    '-f', 'null', '-',
  ]);
  const match = /SSIM .*All:([0-9.]+)/.exec(stderr);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
};

interface Row {
  readonly name: string;
  readonly inputBytes: number;
  readonly source: string;
  readonly vidbot: { bytes: number; mode: string; ssim: number; seconds: number; size: string };
  readonly naive: { bytes: number; ssim: number; seconds: number; size: string };
}

const rows: Row[] = [];
try {
  for (const source of sources) {
    const file = path.join(dir, source.file);
    log(`generating ${source.name} ...`);
    await execa(bins.ffmpeg, ['-v', 'error', '-y', ...source.args, file]);
    const input = await probeVideo(file, { ffprobe: bins.ffprobe });
    const { width = 0, height = 0 } = input.video;

    log(`  vidbot ...`);
    let started = performance.now();
    const result = await compressForWhatsApp(file, { ...bins, output: path.join(dir, `vidbot-${source.file}`) });
    const vidbotSeconds = seconds(started);
    const out = result.output.video;

    log(`  naive ffmpeg -crf 28 ...`);
    const naiveFile = path.join(dir, `naive-${source.file}`);
    started = performance.now();
    await execa(bins.ffmpeg, ['-v', 'error', '-y', '-i', file, '-c:v', 'libx264', '-crf', '28', '-c:a', 'aac', naiveFile]);
    const naiveSeconds = seconds(started);
    const naive = await probeVideo(naiveFile, { ffprobe: bins.ffprobe });

    log(`  measuring SSIM ...`);
    rows.push({
      name: source.name,
      inputBytes: input.sizeBytes,
      source: `${width}x${height}`,
      vidbot: {
        bytes: (await stat(result.file)).size,
        mode: result.mode === 'remux' ? 'remux' : `re-encode ×${result.passes}`,
        ssim: await ssim(result.file, file, width, height),
        seconds: vidbotSeconds,
        size: `${out?.width}x${out?.height}`,
      },
      naive: {
        bytes: naive.sizeBytes,
        ssim: await ssim(naiveFile, file, width, height),
        seconds: naiveSeconds,
        size: `${naive.video.width}x${naive.video.height}`,
      },
    });
    await rm(file);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
const share = (bytes: number): string => `${((bytes / LIMIT) * 100).toFixed(1)}%`;
const table = [
  '| Source | Input | vidbot: mode | vidbot: output | vidbot: budget used | vidbot: SSIM | vidbot: time | naive: output | naive: budget used | naive: SSIM | naive: time |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const cells = [
      `${r.name} (${r.source})`,
      mb(r.inputBytes),
      r.vidbot.mode,
      `${mb(r.vidbot.bytes)} ${r.vidbot.size}`,
      `${share(r.vidbot.bytes)}${r.vidbot.bytes <= LIMIT ? '' : ' **OVER**'}`,
      r.vidbot.ssim.toFixed(4),
      `${r.vidbot.seconds.toFixed(1)} s`,
      `${mb(r.naive.bytes)} ${r.naive.size}`,
      `${share(r.naive.bytes)}${r.naive.bytes <= LIMIT ? '' : ' **over the limit**'}`,
      r.naive.ssim.toFixed(4),
      `${r.naive.seconds.toFixed(1)} s`,
    ];
    return `| ${cells.join(' | ')} |`;
  }),
].join('\n');

const vidbotOver = rows.filter((r) => r.vidbot.bytes > LIMIT);
const naiveOver = rows.filter((r) => r.naive.bytes > LIMIT);
const verdict = [
  vidbotOver.length === 0
    ? `All ${rows.length} vidbot outputs are within the ${LIMIT}-byte limit.`
    : `vidbot outputs OVER the limit: ${vidbotOver.map((r) => r.name).join(', ')}.`,
  naiveOver.length === 0
    ? 'The naive baseline also stayed within the limit on every clip.'
    : `The naive baseline exceeded the limit on ${naiveOver.length} of ${rows.length} clips (${naiveOver.map((r) => r.name).join(', ')}): WhatsApp would refuse those.`,
].join('\n');

const ffmpegVersion = (await execa(bins.ffmpeg, ['-version'])).stdout.split('\n')[0] ?? '';
const cpus = os.cpus();
const report = `# Compressor benchmark

Generated by \`npm run bench:compress\` (bench/compress.ts) on ${new Date().toISOString().slice(0, 10)}:
${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${ffmpegVersion}, Node ${process.version}.

Limit: ${LIMIT} bytes (WhatsApp). "Budget used" is output size / limit. SSIM compares each output,
scaled back to the source's frame size, with the source (1.0 = identical). Sources are synthetic
(testsrc2 with temporal noise, so they are hard to compress) and generated at bench time.
The naive baseline is \`ffmpeg -i in -c:v libx264 -crf 28 -c:a aac out.mp4\`.

${table}

${verdict}
`;

await mkdir(path.join(import.meta.dirname, '..', 'docs', 'benchmarks'), { recursive: true });
await writeFile(path.join(import.meta.dirname, '..', 'docs', 'benchmarks', 'compress.md'), report);
process.stdout.write(`${table}\n\n${verdict}\n`);
if (vidbotOver.length > 0) process.exitCode = 1;
