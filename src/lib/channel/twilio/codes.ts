/**
 * Twilio's error codes, sorted by what vidbot can do about them (see RefusalKind): the same codes
 * come back from a refused create and, later, in a status callback's ErrorCode.
 */
import { type RefusalCodes, refusalKinds } from '../refusals.ts';

/** WhatsApp's 24-hour window: only an approved template may reach the user now. */
export const WINDOW_CODE = 63016;

const BY_KIND: RefusalCodes = {
  // The attachment: unreachable or wrong URL, size, type. A text with the link can still get there.
  media: [11200, 11751, 12300, 21620, 30019, 63019],
  // The recipient cannot get messages from this sender: a text would be refused the same way.
  recipient: [21211, 21408, 21610, 21614, 30003, 30004, 30005, 30006, 63003, 63015, 63024],
  // The sender is not the account's, or not a WhatsApp sender: nothing reaches anyone until fixed.
  sender: [21212, 21603, 21606, 63007],
};

export const refusalKind = refusalKinds(WINDOW_CODE, BY_KIND);
