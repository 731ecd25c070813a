/** Every catalogue entry maps a request only to inputs its recorded schema names, with allowed values. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildModelInput, catalogue, falEndpoint, type ModelSpec } from '../../src/lib/video-provider/catalogue/index.ts';
import type { VideoRequest } from '../../src/lib/video-provider/port.ts';

interface Schema {
  readonly model: string;
  readonly properties: Record<string, { type: string; enum?: readonly unknown[]; minimum?: number; maximum?: number }>;
}

const schemaOf = (provider: string, endpoint: string): Schema =>
  JSON.parse(readFileSync(new URL(`../fixtures/${provider}-schemas/${endpoint.replaceAll('/', '__')}.json`, import.meta.url), 'utf8')) as Schema;

const TYPES: Record<string, string> = { string: 'string', integer: 'number', number: 'number', boolean: 'boolean' };

/** The requests worth trying on a model: each orientation and duration, with the images it can take. */
const requestsFor = (spec: ModelSpec): Array<{ request: VideoRequest; frames: { first?: string; last?: string } }> => {
  const frameSets = [
    ...(spec.image === 'required' ? [] : [{}]),
    ...(spec.image === 'none' ? [] : [{ first: 'data:image/png;base64,AA==' }]),
    ...(spec.lastFrame ? [{ first: 'data:image/png;base64,AA==', last: 'data:image/png;base64,AB==' }] : []),
  ];
  return ['portrait', 'landscape'].flatMap((orientation) =>
    [1, ...spec.durations, 60].flatMap((durationSec) =>
      frameSets.map((frames) => ({ request: { prompt: 'a fox in the snow', orientation: orientation as 'portrait', durationSec }, frames })),
    ),
  );
};

describe('the catalogue against the recorded schemas', () => {
  it.each(catalogue.map((spec) => [`${spec.provider} ${spec.id}`, spec] as const))('%s maps to inputs its schema names', (_name, spec) => {
    for (const { request, frames } of requestsFor(spec)) {
      const endpoint = spec.provider === 'fal' ? falEndpoint(spec.id, frames) : spec.id;
      const schema = schemaOf(spec.provider, endpoint);
      expect(schema.model).toBe(endpoint);
      const input = buildModelInput(spec.id, request, frames, spec.provider);
      expect(input.prompt).toBe(request.prompt);
      for (const [name, value] of Object.entries(input)) {
        const property = schema.properties[name];
        expect(property, `${endpoint} has no input "${name}"`).toBeDefined();
        expect(typeof value, `${endpoint}.${name}`).toBe(TYPES[property?.type ?? ''] ?? 'unknown');
        if (property?.type === 'integer') expect(Number.isInteger(value)).toBe(true);
        if (property?.enum) expect(property.enum, `${endpoint}.${name}=${String(value)}`).toContain(value);
        if (property?.minimum !== undefined) expect(value, `${endpoint}.${name}`).toBeGreaterThanOrEqual(property.minimum);
        if (property?.maximum !== undefined) expect(value, `${endpoint}.${name}`).toBeLessThanOrEqual(property.maximum);
      }
      // The images given are all passed on, under names the schema has.
      const passed = Object.values(input);
      for (const image of Object.values(frames)) expect(passed).toContain(image);
    }
  });

  it('says per model what it can take and make', () => {
    for (const spec of catalogue) {
      expect(['none', 'optional', 'required']).toContain(spec.image);
      expect(spec.durations.length).toBeGreaterThan(0);
      expect(typeof spec.audio).toBe('boolean');
      expect(typeof spec.lastFrame).toBe('boolean');
      if (spec.provider === 'fal' && spec.image !== 'none') expect(spec.imageEndpoint).toBeDefined();
    }
    expect(catalogue.filter((spec) => spec.provider === 'replicate').map((spec) => spec.id)).toEqual(
      expect.arrayContaining([
        'minimax/hailuo-2.3', 'minimax/hailuo-2.3-fast', 'google/veo-3.1', 'google/veo-3.1-fast', 'bytedance/seedance-2.0',
        'bytedance/seedance-2.0-fast', 'wan-video/wan-2.5-t2v', 'wan-video/wan-2.5-i2v', 'kwaivgi/kling-v2.5-turbo-pro',
        'luma/ray-2-720p', 'pixverse/pixverse-v4', 'minimax/video-01', 'minimax/hailuo-02', 'google/veo-3-fast', 'kwaivgi/kling-v2.1',
      ]),
    );
  });

  it('refuses what a model cannot take before anything is paid for', () => {
    const request: VideoRequest = { prompt: 'p', orientation: 'portrait', durationSec: 5 };
    expect(() => buildModelInput('wan-video/wan-2.5-i2v', request)).toThrow(/start image/);
    expect(() => buildModelInput('wan-video/wan-2.5-t2v', request, { first: 'data:x' })).toThrow(/cannot start from an image/);
    expect(() => buildModelInput('kwaivgi/kling-v2.5-turbo-pro', request, { first: 'data:x', last: 'data:y' })).toThrow(/last frame/);
  });
});
