import { vidbotError } from '../errors.ts';
import type { Channel, ChannelSet } from './port.ts';

/**
 * The channels of one vidbot; the first is the default. Names must differ. `relays` answer for a
 * channel served by another process (the simulator's, channel/simulator/relay.ts): found by name,
 * never listed as this process's own.
 */
export const createChannelSet = (channels: readonly Channel[], relays: readonly Channel[] = []): ChannelSet => {
  const first = channels[0];
  if (first === undefined) throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'A vidbot needs at least one channel.');
  const byName = new Map(channels.map((channel) => [channel.name, channel]));
  if (byName.size !== channels.length) throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'Two channels have the same name.');
  for (const relay of relays) if (!byName.has(relay.name)) byName.set(relay.name, relay);
  const find = (name?: string): Channel | undefined => (name === undefined ? first : byName.get(name));
  return {
    all: channels,
    find,
    get(name) {
      const channel = find(name);
      if (channel === undefined) {
        throw vidbotError('VIDBOT_CONFIG_INVALID', `No channel "${name}" is configured here.`, {
          hint: `This process answers on ${channels.map((each) => each.name).join(', ')}; configure the other channel too, or send on one of these.`,
        });
      }
      return channel;
    },
  };
};
