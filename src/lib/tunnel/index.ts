export type { Tunnel, TunnelOpener } from './port.ts';
export { type NgrokOptions, createNgrokTunnels } from './ngrok.ts';
