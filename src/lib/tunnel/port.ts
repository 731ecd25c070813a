/** A public https URL that forwards to a local port, so Twilio can reach a bot on a laptop. */
export interface Tunnel {
  readonly url: string;
  close(): Promise<void>;
}

export interface TunnelOpener {
  readonly name: string;
  /** Opens a tunnel to http://host:port; rejects with VIDBOT_TUNNEL_FAILED and the reason. */
  open(target: { readonly port: number; readonly host?: string }): Promise<Tunnel>;
}
