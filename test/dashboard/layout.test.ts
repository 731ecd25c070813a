import { describe, expect, it } from 'vitest';
import { headerLines, lineBudget, tableColumns } from '../../src/cli/dashboard/layout.ts';

describe('the dashboard layout', () => {
  it('keeps every URL whole on a line of its own, cutting its middle only when no line could hold it', () => {
    const ngrok = 'https://a1b2-203-0-113-42.ngrok-free.app';
    const at80 = headerLines({ local: 'http://127.0.0.1:3000', webhook: `${ngrok}/whatsapp/webhook`, public: ngrok, publicVia: 'ngrok tunnel' }, 80);
    expect(at80.map((line) => `${line.label}${line.value}${line.note ?? ''}`)).toEqual([
      'vidbotserving on http://127.0.0.1:3000',
      `webhook (POST)   ${ngrok}/whatsapp/webhook`,
      `public URL       ${ngrok} (ngrok tunnel)`,
    ]);
    const long = `https://${'x'.repeat(60)}.example.com/whatsapp/webhook`;
    expect(headerLines({ webhook: long }, 150)[1]?.value).toBe(long);
    const own = headerLines({ webhook: `https://${'x'.repeat(35)}.example.com/whatsapp/webhook` }, 80);
    expect(own.slice(1).map((line) => line.value)).toEqual(['', `https://${'x'.repeat(35)}.example.com/whatsapp/webhook`]);
    const cut = headerLines({ webhook: long }, 80)[2]?.value ?? '';
    expect(cut).toHaveLength(76);
    expect(cut.startsWith('https://xxx') && cut.endsWith('/whatsapp/webhook') && cut.includes('…')).toBe(true);
  });

  it('fits the table to the width, dropping the least useful columns first', () => {
    for (let width = 40; width <= 200; width += 1) {
      const columns = tableColumns(width);
      const cells = [columns.job, columns.sender, columns.prompt, columns.stage, columns.progress, columns.elapsed, columns.eta, columns.cost, columns.attempt].filter((n) => n > 0);
      expect(cells.reduce((sum, n) => sum + n, 0) + cells.length - 1, `width ${width}`).toBeLessThanOrEqual(width - 2);
    }
    expect(tableColumns(80)).toMatchObject({ sender: 10, senderCompact: true, progress: 4, elapsed: 0, eta: 5, cost: 0, attempt: 3 });
    expect(tableColumns(150)).toMatchObject({ sender: 19, senderCompact: false, progress: 15, elapsed: 7, eta: 5, cost: 6, attempt: 3 });
    expect(tableColumns(60)).toMatchObject({ sender: 0, attempt: 0 });
  });

  it('gives the log the lines the table leaves, never fewer than a few, and keeps the frame a line short of the terminal', () => {
    expect(lineBudget({ height: 40, fixed: 14, active: 3, finished: 2, unlisted: false })).toEqual({ active: 3, finished: 2, more: false, log: 20 });
    expect(lineBudget({ height: 24, fixed: 14, active: 30, finished: 9, unlisted: false })).toEqual({ active: 4, finished: 0, more: true, log: 4 });
    expect(lineBudget({ height: 60, fixed: 14, active: 2, finished: 9, unlisted: false })).toEqual({ active: 2, finished: 5, more: true, log: 37 });
    expect(lineBudget({ height: 30, fixed: 14, active: 0, finished: 0, unlisted: false })).toEqual({ active: 0, finished: 0, more: false, log: 14 });
  });
});
