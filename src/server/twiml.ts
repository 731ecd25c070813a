import MessagingResponse from 'twilio/lib/twiml/MessagingResponse.js';

/** TwiML that sends `text` back in the chat; an empty string answers without a message. */
export const twimlMessage = (text: string): string => {
  const response = new MessagingResponse();
  if (text !== '') response.message(text);
  return response.toString();
};
