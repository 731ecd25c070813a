/**
 * Prometheus metrics on a registry of the server's own (no global state, so tests and several
 * servers in one process stay apart): requests, queue depth, job and stage durations, failures.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineEvent } from '../lib/pipeline/events.ts';
import type { JobQueue } from '../lib/queue/port.ts';
import type { GenerationCost, Store } from '../lib/store/port.ts';

export interface ServerMetrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  observeInbound(kind: string): void;
  /** A delivery receipt a channel posted, by the state it reports. */
  observeReceipt(status: string): void;
  /** Feed a worker's pipeline events (stage durations). */
  observePipeline(event: PipelineEvent): void;
  /** Counts job outcomes from the queue's events; returns the unsubscriber. */
  watchQueue<T>(queue: JobQueue<T>): () => void;
  text(): Promise<string>;
}

/** Generations are summed from the store, so every process's workers count; a scrape reads it at most this often. */
const COSTS_TTL_MS = 10_000;

export const createServerMetrics = <T>(options: { queue: JobQueue<T>; store?: Pick<Store, 'generationCosts'>; processMetrics?: boolean }): ServerMetrics => {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'vidbot_' });
  const requests = new Counter({
    name: 'vidbot_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'vidbot_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const inbound = new Counter({
    name: 'vidbot_inbound_messages_total',
    help: 'WhatsApp messages by outcome (ack, command, model, repeat, rate-limited, quota, rejected, duplicate)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const receipts = new Counter({
    name: 'vidbot_delivery_receipts_total',
    help: 'Delivery receipts from the channels by the state they report (sent, delivered, read, failed...)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const stageSeconds = new Histogram({
    name: 'vidbot_stage_duration_seconds',
    help: 'Pipeline stage duration',
    labelNames: ['stage'] as const,
    buckets: [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const jobSeconds = new Histogram({
    name: 'vidbot_job_duration_seconds',
    help: 'Whole job duration, for completed jobs',
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1200],
    registers: [registry],
  });
  const jobOutcomes = new Counter({
    name: 'vidbot_jobs_total',
    help: 'Finished job attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'vidbot_job_failures_total',
    help: 'Failed jobs by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const queue = options.queue;
  new Gauge({
    name: 'vidbot_queue_jobs',
    help: 'Jobs in the queue by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await queue.counts();
      for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
    },
  });

  const { store } = options;
  if (store) {
    let read: { at: number; rows: Promise<GenerationCost[]> } | undefined;
    const costs = () => {
      if (read === undefined || Date.now() - read.at > COSTS_TTL_MS) read = { at: Date.now(), rows: store.generationCosts() };
      return read.rows.catch(() => [] as GenerationCost[]);
    };
    new Counter({
      name: 'vidbot_generation_cost_total',
      help: 'Estimated cost of the videos made, by provider and model (VIDBOT_PRICES; models without a price add nothing)',
      labelNames: ['provider', 'model'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of await costs()) this.inc({ provider: row.provider, model: row.model }, row.cost);
      },
    });
    new Counter({
      name: 'vidbot_generations_total',
      help: 'Videos made (not from the cache), by provider and model',
      labelNames: ['provider', 'model'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of await costs()) this.inc({ provider: row.provider, model: row.model }, row.videos);
      },
    });
  }

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      requestSeconds.observe({ route }, seconds);
    },
    observeInbound: (kind) => inbound.inc({ kind }),
    observeReceipt: (status) => receipts.inc({ status }),
    observePipeline(event) {
      if (event.type === 'stage:done') stageSeconds.observe({ stage: event.stage }, event.durationMs / 1000);
    },
    watchQueue(watched) {
      const offs = [
        watched.on('completed', (e) => {
          jobOutcomes.inc({ outcome: 'completed' });
          jobSeconds.observe(e.durationMs / 1000);
        }),
        watched.on('failed', (e) => {
          jobOutcomes.inc({ outcome: 'failed' });
          failures.inc({ code: e.errorCode ?? 'unknown' });
        }),
        watched.on('retrying', () => jobOutcomes.inc({ outcome: 'retrying' })),
        watched.on('canceled', () => jobOutcomes.inc({ outcome: 'canceled' })),
        watched.on('stalled', () => jobOutcomes.inc({ outcome: 'stalled' })),
      ];
      return () => {
        for (const off of offs) off();
      };
    },
    text: () => registry.metrics(),
  };
};
