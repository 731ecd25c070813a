/**
 * Choices as text: the one wording every channel uses when it cannot show buttons (no Content API
 * access, a channel without them), and the one reading of what a user types back ("2", "portrait").
 */
import type { Choice } from '../domain.ts';

/** The body, then "Reply 1 for 🔁 Another take, 2 for ↕️ Portrait." on a line of its own. */
export const choicesText = (body: string, choices: readonly Choice[]): string => {
  if (choices.length === 0) return body;
  const options = choices.map((choice, i) => `${i + 1} for ${choice.title}`).join(', ');
  return `${body}\n\nReply ${options}.`;
};

/** Letters and digits only, lower-cased: "↕️ Portrait!" and "portrait" read the same. */
const plain = (text: string): string =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/**
 * The choice a typed answer names: its number ("2", "2."), its title with or without the emoji
 * ("Portrait"), or its action ("again", "retry"). Undefined when it names none of them.
 */
export const pickChoice = (answer: string, choices: readonly Choice[]): Choice | undefined => {
  const said = plain(answer);
  if (said === '') return undefined;
  if (/^\d+$/.test(said)) return choices[Number(said) - 1];
  return choices.find((choice) => plain(choice.title) === said || choice.id === said);
};

/** A bare number ("2", "3."): only ever an answer to a list, never a description of a video. */
export const isBareNumber = (answer: string): boolean => /^\s*\d{1,2}\s*[.)]?\s*$/.test(answer);
