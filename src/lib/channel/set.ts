import { vidbotError } from '../errors.ts';
import type { Channel, ChannelSet } from './port.ts';

/** The channels of one vidbot; the first is the default. Names must differ. */
export const createChannelSet = (channels: readonly Channel[]): ChannelSet => {
  const first = channels[0];
  if (first === undefined) throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'A vidbot needs at least one channel.');
  const byName = new Map(channels.map((channel) => [channel.name, channel]));
  if (byName.size !== channels.length) throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'Two channels have the same name.');
  return {
    all: channels,
    get(name) {
      if (name === undefined) return first;
      const channel = byName.get(name);
      if (channel === undefined) {
        throw vidbotError('VIDBOT_CONFIG_INVALID', `No channel "${name}" is configured here.`, {
          hint: `This process answers on ${[...byName.keys()].join(', ')}; configure the other channel too, or send on one of these.`,
        });
      }
      return channel;
    },
  };
};
