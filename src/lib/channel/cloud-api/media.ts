/**
 * Where the Cloud API's inbound media comes from, in Meta's two steps: the message carries a media
 * id; `GET /{media-id}` with the token answers a short-lived URL on Meta's media host, fetched with
 * the same token. The token goes to Meta's hosts only (or the configured base URL's origin, for
 * emulators and tests); redirects are followed over https on Meta's hosts only.
 */
import type { MediaPolicy } from '../port.ts';
import type { GraphClient } from './graph.ts';

const META_MEDIA_HOSTS = ['graph.facebook.com', 'lookaside.fbsbx.com'];
const META_REDIRECT_SUFFIXES = ['.fbsbx.com', '.fbcdn.net', '.facebook.com', '.whatsapp.net'];

export interface CloudMediaOptions {
  readonly graph: GraphClient;
  readonly token: string;
}

export const cloudMediaPolicy = (options: CloudMediaOptions): MediaPolicy => {
  const { graph } = options;
  const baseOrigin = new URL(graph.baseUrl).origin;
  const mediaBase = `${graph.baseUrl}/${graph.version}/`;
  const isMeta = (url: URL): boolean =>
    (url.protocol === 'https:' && url.port === '' && META_MEDIA_HOSTS.includes(url.hostname)) || url.origin === baseOrigin;
  const authorization = `Bearer ${options.token}`;
  return {
    allows: isMeta,
    headersFor: (url): Readonly<Record<string, string>> => (isMeta(url) ? { authorization } : {}),
    mayRedirect: (_from, to) =>
      (to.protocol === 'https:' && (isMeta(to) || META_REDIRECT_SUFFIXES.some((suffix) => to.hostname.endsWith(suffix)))) || to.origin === baseOrigin,
    async resolve(url, resolveOptions) {
      // Only a media id on the Graph API needs the lookup; a URL that is already the file's is fetched as is.
      if (!url.href.startsWith(mediaBase)) return url;
      const found = await graph.call<{ url?: unknown }>('GET', url.href, undefined, resolveOptions?.signal);
      if (typeof found.url !== 'string') throw new Error('The media lookup answered no URL.');
      return new URL(found.url);
    },
  };
};
