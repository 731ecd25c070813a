import MessagingResponse from 'twilio/lib/twiml/MessagingResponse.js';

/**
 * Characters XML 1.0 cannot carry (most controls, U+FFFE/FFFF, lone surrogates). Replies quote
 * users' prompts, and the TwiML builder throws on these rather than escaping them.
 */
const XML_INVALID = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** TwiML that sends `text` back in the chat; an empty string answers without a message. */
export const twimlMessage = (text: string): string => {
  const response = new MessagingResponse();
  const clean = text.replace(XML_INVALID, '');
  if (clean !== '') response.message(clean);
  return response.toString();
};

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };

/** The text of TwiML's <Message>, unescaped; '' when the answer has none (the simulator shows it). */
export const readTwimlMessage = (xml: string): string => {
  const match = /<Message>([\s\S]*?)<\/Message>/.exec(xml);
  return (match?.[1] ?? '').replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-f]+));/gi, (whole, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
};
