/**
 * The URL Twilio signed: the one configured in its console, which is the server's public URL, not
 * the one this process sees behind a proxy or tunnel. Getting this wrong is the classic cause of
 * "invalid signature" behind ngrok, load balancers and PaaS routers.
 */
export interface PublicUrlOptions {
  /** PUBLIC_BASE_URL, without a trailing slash: origin plus any path prefix the proxy strips. Wins when set. */
  readonly publicBaseUrl?: string;
  /** Believe X-Forwarded-Proto/Host (set only behind a proxy you control). */
  readonly trustProxy: boolean;
}

export interface RequestLike {
  /** Path and query as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Whether the socket itself is TLS. */
  readonly encrypted: boolean;
}

const firstValue = (value: string | string[] | undefined): string | undefined => {
  const raw = Array.isArray(value) ? value[0] : value;
  const first = raw?.split(',')[0]?.trim();
  return first === '' ? undefined : first;
};

export const publicUrlOf = (request: RequestLike, options: PublicUrlOptions): string => {
  if (options.publicBaseUrl) return `${options.publicBaseUrl}${request.url}`;
  const ownProto = request.encrypted ? 'https' : 'http';
  const ownHost = firstValue(request.headers.host) ?? 'localhost';
  if (options.trustProxy) {
    const proto = firstValue(request.headers['x-forwarded-proto']) ?? ownProto;
    const host = firstValue(request.headers['x-forwarded-host']) ?? ownHost;
    return `${proto}://${host}${request.url}`;
  }
  return `${ownProto}://${ownHost}${request.url}`;
};
