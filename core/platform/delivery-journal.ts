import type { Store } from '../../storage/index.js';
import type { Logger } from '../log.js';
import type { DeliveryJournal, KeptDelivery } from './platform.js';

/** A delivery replayed this often without being answered is taken to be what kills the process. */
const MAX_REPLAYS = 3;

/** The delivery journal in the database, beside the turns whose answers settle it. */
export class StoreDeliveryJournal implements DeliveryJournal {
  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  keep(delivery: KeptDelivery): void {
    this.store.keepDelivery({ platform: delivery.platform, eventId: delivery.eventId, platformUserId: delivery.userId, payload: delivery.payload });
  }

  drop(platform: string, eventId: string): void {
    this.store.dropDelivery({ platform, eventId });
  }

  replay(platform: string): KeptDelivery[] {
    const replayed: KeptDelivery[] = [];
    for (const entry of this.store.unansweredDeliveries(platform)) {
      const event = { platform, eventId: entry.eventId };
      if (this.store.isEventProcessed(event)) {
        this.store.dropDelivery(event);
        continue;
      }
      if (entry.attempts >= MAX_REPLAYS) {
        this.logger.error({ platform, eventId: entry.eventId, attempts: entry.attempts }, 'a delivery failed every replay; given up');
        this.store.dropDelivery(event);
        continue;
      }
      this.store.noteReplay(event);
      replayed.push({ platform, eventId: entry.eventId, userId: entry.platformUserId, payload: entry.payload });
    }
    if (replayed.length > 0) this.logger.info({ platform, deliveries: replayed.length }, 'answering deliveries received before a restart');
    return replayed;
  }

  /** Turns a dead process left half-answered are failed cleanly; their deliveries are replayed. */
  recoverInterruptedTurns(): number {
    const turns = this.store.failInterruptedTurns('interrupted');
    if (turns > 0) this.logger.warn({ turns }, 'turns interrupted by a restart marked failed');
    return turns;
  }
}
