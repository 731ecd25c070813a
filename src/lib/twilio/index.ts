export {
  computeTwilioSignature,
  isValidTwilioSignature,
  type SignatureInput,
  type TwilioParams,
} from './signature.ts';
export { LOCAL_AUTH_TOKEN_FILE, loadLocalAuthToken } from './local-token.ts';
