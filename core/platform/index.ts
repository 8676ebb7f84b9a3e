export type {
  ChannelCapabilities,
  DeliveryJournal,
  DraftCapability,
  Inbox,
  KeptDelivery,
  OutgoingVoiceNote,
  PlatformContext,
  PlatformMaker,
  PartKind,
  Platform,
  PlatformErrorKind,
  ReceiveOptions,
  ReplyChannel,
  SendTextOptions,
  SentMessage,
} from './platform.js';
export { PlatformError, PlatformStartError } from './platform.js';
export { StoreDeliveryJournal } from './delivery-journal.js';
export { TurnDelivery } from './turn-delivery.js';
