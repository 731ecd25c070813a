export { type CreateServerOptions, createServer } from './create-server.ts';
export { type ServerMetrics, createServerMetrics } from './metrics.ts';
export { type PublicUrlOptions, publicUrlOf } from './public-url.ts';
export type { WorkerStatus } from './routes/health.ts';
export { type RunningServer, type StartServerOptions, startServer } from './start.ts';
export { type Simulator, type SimulatorOptions, createSimulator } from './simulator/index.ts';
