export type {
  ChannelCapabilities,
  DraftCapability,
  Inbox,
  OutgoingVoiceNote,
  PlatformContext,
  PlatformMaker,
  PartKind,
  Platform,
  PlatformErrorKind,
  ReplyChannel,
  SendTextOptions,
  SentMessage,
} from './platform.js';
export { PlatformError, PlatformStartError } from './platform.js';
export { TurnDelivery } from './turn-delivery.js';
