/**
 * The models WhatsApp users may pick with /model (VIDBOT_ALLOWED_MODELS), each with a name a person
 * reads; by default only the configured model. Checked once, at start: every one must be a model
 * one of the providers in use runs.
 */
import { vidbotError } from '../errors.ts';
import { catalogue } from './catalogue/index.ts';
import { providerOfModel } from './failover/models.ts';
import type { VideoProvider } from './port.ts';

export interface ModelOption {
  readonly id: string;
  /** What users read: "Google Veo 3.1", never an id or a service's name. */
  readonly label: string;
  /** The provider that runs it (the first to try, in a failover chain). */
  readonly provider: string;
}

const OWN_NAMES: Readonly<Record<string, string>> = { cog: 'Our own video model', 'local-preview': 'Quick preview' };

/** "MiniMax Hailuo 2.3: 6 or 10 s..." -> "MiniMax Hailuo 2.3"; other ids by their last part. */
export const modelLabel = (id: string): string => {
  const own = OWN_NAMES[id];
  if (own !== undefined) return own;
  const spec = catalogue.find((entry) => entry.id === id.split(':')[0]?.toLowerCase());
  const head = spec?.description.split(':')[0]?.replace(/ on fal$/, '').trim();
  return head || (id.split(':')[0]?.split('/').filter(Boolean).at(-1) ?? id);
};

export const allowedModels = (list: string | undefined, provider: VideoProvider): ModelOption[] => {
  const members = provider.members ?? [provider];
  const names = members.map((member) => member.name);
  const defaults = Object.fromEntries(members.map((member) => [member.name, member.defaultModel]));
  const ids = list ? list.split(',').map((id) => id.trim()).filter(Boolean) : [provider.defaultModel];
  return ids.map((id) => {
    const runs = providerOfModel(id, names, defaults);
    if (runs === undefined) {
      throw vidbotError('VIDBOT_CONFIG_INVALID', `VIDBOT_ALLOWED_MODELS names ${id}, which none of the providers in use (${names.join(', ')}) runs.`, {
        hint: 'List models of the providers in VIDBOT_PROVIDER; `vidbot models` shows the ones vidbot knows.',
      });
    }
    return { id, label: modelLabel(id), provider: runs };
  });
};
