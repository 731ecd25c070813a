export { type CreateBotOptions, createBot } from './create-bot.ts';
export { type CommandName, parseCommand } from './commands.ts';
export { estimateReadySeconds, formatEta, recentRunSeconds } from '../tasks/eta.ts';
export type { Bot, BotReply, BotReplyKind, InboundMedia, InboundMessage } from './types.ts';
