import MessagingResponse from 'twilio/lib/twiml/MessagingResponse.js';
import { describe, expect, it } from 'vitest';
import { readTwimlMessage, twimlMessage } from '../../src/lib/channel/twilio/twiml.ts';

/** What Twilio's own builder writes for a reply. */
const official = (text: string): string => {
  const response = new MessagingResponse();
  if (text !== '') response.message(text);
  return response.toString();
};

const REPLIES = [
  "🎬 Generating your video... I'll send it here when ready.\n📋 You're #2 in line.",
  'a & b < c > d "quoted" \'single\'',
  'line one\r\nline two\ttabbed',
  '&amp; is already an entity; ]]> ends CDATA',
  'non-breaking\u00a0space, next line\u0085, separator\u2028',
  '𝒻𝒶𝓃𝒸𝓎 letters beyond the basic plane',
];

describe('twimlMessage', () => {
  it("writes what Twilio's own TwiML builder writes", () => {
    for (const text of ['', ...REPLIES]) expect(twimlMessage(text), JSON.stringify(text)).toBe(official(text));
  });

  it('drops what XML cannot carry (which the builder refuses), and reads back what it wrote', () => {
    const text = 'bell\u0007 nul\u0000 fffe\uFFFE lone\uD800 end';
    expect(twimlMessage(text)).toBe(official('bell nul fffe lone end'));
    expect(twimlMessage('\u0000\u0001')).toBe(official(''));
    for (const reply of REPLIES) expect(readTwimlMessage(twimlMessage(reply))).toBe(reply);
  });
});
