/** The settings of Meta's WhatsApp Cloud API channel (its own group: a second channel beside Twilio). */
import type { SettingSpec } from './setting-spec.ts';

export const cloudApiSettings = {
  whatsappToken: {
    env: 'WHATSAPP_TOKEN',
    type: 'string',
    secret: true,
    description: "Cloud API access token (a system user's permanent token)",
  },
  whatsappPhoneNumberId: { env: 'WHATSAPP_PHONE_NUMBER_ID', type: 'string', description: 'Cloud API business phone number id' },
  whatsappAppSecret: { env: 'WHATSAPP_APP_SECRET', type: 'string', secret: true, description: "Meta app's secret: checks X-Hub-Signature-256" },
  whatsappVerifyToken: {
    env: 'WHATSAPP_VERIFY_TOKEN',
    type: 'string',
    secret: true,
    description: "A string of yours that Meta's webhook verification must echo",
  },
  whatsappWebhookPath: { env: 'WHATSAPP_WEBHOOK_PATH', type: 'string', description: 'Path of the Cloud API webhook' },
  whatsappGraphBaseUrl: { env: 'WHATSAPP_GRAPH_BASE_URL', type: 'url', description: 'Graph API base URL (emulators, tests)' },
  whatsappGraphVersion: { env: 'WHATSAPP_GRAPH_VERSION', type: 'string', description: 'Graph API version' },
  whatsappTemplateName: {
    env: 'WHATSAPP_TEMPLATE_NAME',
    type: 'string',
    description: 'Approved template (one body variable) sent outside the 24-hour window',
  },
  whatsappTemplateLanguage: { env: 'WHATSAPP_TEMPLATE_LANGUAGE', type: 'string', description: "The template's language code" },
} as const satisfies Record<string, SettingSpec>;

export const cloudApiDefaults = {
  whatsappWebhookPath: '/whatsapp/cloud',
  whatsappGraphBaseUrl: 'https://graph.facebook.com',
  whatsappGraphVersion: 'v24.0',
  whatsappTemplateLanguage: 'en_US',
} as const;
