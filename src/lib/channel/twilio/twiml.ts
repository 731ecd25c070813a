/**
 * Characters XML 1.0 cannot carry (most controls, U+FFFE/FFFF, lone surrogates). Replies quote
 * users' prompts, and Twilio's TwiML builder throws on these rather than escaping them.
 */
const XML_INVALID = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** What Twilio's builder (xmlbuilder) escapes in text; quotes stay as they are. */
const TEXT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };

/**
 * TwiML that sends `text` back in the chat; an empty string answers without a message. Written
 * here rather than with the SDK's MessagingResponse, which builds an XML document for one element
 * on every webhook; the output is the same (test/channel/twiml.test.ts holds them side by side).
 */
export const twimlMessage = (text: string): string => {
  const clean = text.replace(XML_INVALID, '');
  if (clean === '') return `${DECLARATION}<Response/>`;
  return `${DECLARATION}<Response><Message>${clean.replace(/[&<>\r]/g, (char) => TEXT_ESCAPES[char] ?? char)}</Message></Response>`;
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
