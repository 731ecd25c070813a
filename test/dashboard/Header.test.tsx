import { describe, expect, it } from 'vitest';
import { Header } from '../../src/cli/dashboard/Header.tsx';
import { lines, renderAt, widest } from './render-at.tsx';

const urls = {
  local: 'http://127.0.0.1:3000',
  webhook: 'https://a1b2-203-0-113-42.ngrok-free.app/whatsapp/webhook',
  statusCallback: 'https://a1b2-203-0-113-42.ngrok-free.app/whatsapp/status',
  simulator: 'http://127.0.0.1:3000/simulator',
  public: 'https://a1b2-203-0-113-42.ngrok-free.app',
  publicVia: 'ngrok tunnel',
};

describe('Header', () => {
  for (const width of [80, 150]) {
    it(`shows each URL whole, on its own labelled line, within ${width} columns`, () => {
      const frame = renderAt(width, <Header urls={urls} width={width} />).frame();
      expect(lines(frame)).toEqual([
        ' vidbot serving on http://127.0.0.1:3000'.trimStart(),
        `webhook (POST)   ${urls.webhook}`,
        `status callback  ${urls.statusCallback}`,
        `simulator        ${urls.simulator}`,
        `public URL       ${urls.public} (ngrok tunnel)`,
      ]);
      expect(widest(frame)).toBeLessThanOrEqual(width);
    });
  }

  it('puts a long URL under its label rather than cutting it, and says when there is no public URL', () => {
    const webhook = `https://${'x'.repeat(38)}.example.com/whatsapp/webhook`;
    const frame = renderAt(80, <Header urls={{ local: 'http://127.0.0.1:3000', webhook, publicMissing: 'none: reachable from this machine only' }} width={80} />).frame();
    expect(lines(frame)).toContain(`  ${webhook}`);
    expect(frame).toContain('public URL       none: reachable from this machine only');
    expect(widest(frame)).toBeLessThanOrEqual(80);
  });

  it('names the server a remote viewer watches', () => {
    expect(renderAt(80, <Header urls={{ server: 'http://10.0.0.5:3000' }} width={80} />).frame()).toBe('vidbot watching http://10.0.0.5:3000');
  });
});
