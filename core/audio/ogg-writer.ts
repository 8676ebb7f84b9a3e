/**
 * Ogg pages for one logical stream (RFC 3533), as Ogg/Opus voice notes need them: codec headers
 * each on a page of their own, then audio packets gathered onto pages, never split across two.
 */

/** A page's header holds at most 255 lacing values. */
const MAX_SEGMENTS = 255;
/** The largest packet one page can hold whole: 254 full segments and a 254-byte last one. */
export const MAX_PACKET_BYTES = 254 * 255 + 254;

const OGG_CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let index = 0; index < 256; index += 1) {
    let value = index << 24;
    for (let bit = 0; bit < 8; bit += 1) value = value & 0x80000000 ? (value << 1) ^ 0x04c11db7 : value << 1;
    table[index] = value >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, starting from 0, no final XOR. */
export function oggCrc32(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ OGG_CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

export interface OggWriterOptions {
  /** Audio packets per page at most; fewer when their lacing values would not fit. */
  readonly packetsPerPage: number;
}

export class OggWriter {
  private readonly pages: Uint8Array[] = [];
  private sequence = 0;
  private pending: Uint8Array[] = [];
  private pendingSegments = 0;
  private pendingGranule = 0n;
  private ended = false;

  constructor(
    private readonly serial: number,
    private readonly options: OggWriterOptions,
  ) {
    if (!(Number.isInteger(serial) && serial >= 0 && serial <= 0xffffffff)) throw new RangeError(`Ogg serial must be a 32-bit unsigned integer, got ${serial}`);
    if (!(Number.isInteger(options.packetsPerPage) && options.packetsPerPage >= 1)) throw new RangeError('packetsPerPage must be a positive integer');
  }

  /**
   * A codec header on a page of its own with granule 0, as Ogg mappings require (the first one
   * gets the beginning-of-stream flag). Headers come before any audio packet.
   */
  writeHeader(packet: Uint8Array): void {
    this.assertOpen();
    if (this.pending.length > 0) throw new Error('Ogg headers must come before audio packets');
    this.emit([packet], 0n, false);
  }

  /** `granule` is the stream position once this packet is decoded; positions must not go back. */
  writePacket(packet: Uint8Array, granule: bigint): void {
    this.assertOpen();
    if (this.sequence === 0) throw new Error('an Ogg stream starts with its codec header');
    if (granule < this.pendingGranule) throw new RangeError(`granule position went back from ${this.pendingGranule} to ${granule}`);
    const segments = segmentCount(packet);
    if (segments > MAX_SEGMENTS) throw new RangeError(`a packet of ${packet.length} bytes does not fit one Ogg page (${MAX_PACKET_BYTES} at most)`);
    // A full page is written only once the next packet arrives, so the last page always holds
    // a packet to carry the end-of-stream flag.
    if (this.pending.length >= this.options.packetsPerPage || this.pendingSegments + segments > MAX_SEGMENTS) this.flush(false);
    this.pending.push(packet);
    this.pendingSegments += segments;
    this.pendingGranule = granule;
  }

  /** The whole stream, its last page flagged as the end. */
  finish(): Uint8Array {
    this.assertOpen();
    if (this.pending.length === 0) throw new Error('an Ogg stream needs at least one packet after its headers');
    this.flush(true);
    this.ended = true;
    const bytes = new Uint8Array(this.pages.reduce((sum, page) => sum + page.length, 0));
    let offset = 0;
    for (const page of this.pages) {
      bytes.set(page, offset);
      offset += page.length;
    }
    return bytes;
  }

  private flush(end: boolean): void {
    this.emit(this.pending, this.pendingGranule, end);
    this.pending = [];
    this.pendingSegments = 0;
  }

  private assertOpen(): void {
    if (this.ended) throw new Error('the Ogg stream has already been finished');
  }

  private emit(packets: readonly Uint8Array[], granule: bigint, end: boolean): void {
    const lacing: number[] = [];
    let bodyLength = 0;
    for (const packet of packets) {
      // A packet ends with a lacing value under 255, so one that is a multiple of 255 long gets a 0.
      for (let left = packet.length; ; left -= 255) {
        lacing.push(Math.min(left, 255));
        if (left < 255) break;
      }
      bodyLength += packet.length;
    }
    if (lacing.length > MAX_SEGMENTS) throw new RangeError(`a header of more than ${MAX_PACKET_BYTES} bytes does not fit one Ogg page`);
    const page = new Uint8Array(27 + lacing.length + bodyLength);
    const view = new DataView(page.buffer);
    page.set([0x4f, 0x67, 0x67, 0x53]); // OggS
    page[4] = 0; // stream structure version
    page[5] = (this.sequence === 0 ? 0x02 : 0) | (end ? 0x04 : 0);
    view.setBigInt64(6, granule, true);
    view.setUint32(14, this.serial, true);
    view.setUint32(18, this.sequence, true);
    page[26] = lacing.length;
    page.set(lacing, 27);
    let offset = 27 + lacing.length;
    for (const packet of packets) {
      page.set(packet, offset);
      offset += packet.length;
    }
    // The checksum is computed with its own field zero, as it still is here.
    view.setUint32(22, oggCrc32(page), true);
    this.pages.push(page);
    this.sequence += 1;
  }
}

function segmentCount(packet: Uint8Array): number {
  return Math.floor(packet.length / 255) + 1;
}
