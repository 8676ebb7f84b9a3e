import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpusScript from 'opusscript';
import { decodeAudio, measureLoudness, resample, type DecodedAudio } from '../core/audio/index.js';
import { MAX_PACKET_BYTES, OggWriter } from '../core/audio/ogg-writer.js';
import { encodeVoiceNote, resampleInSlices, voiceWaveform } from '../core/audio/voice-note.js';
import { random, voiceLike } from './helpers/audio.js';

// The file is checked against the specs (RFC 3533 for Ogg, RFC 7845 for Opus in Ogg) by a parser
// written here, and played back by the project's own decoder.

const LIMITS = { maxBytes: 20 * 1024 * 1024, maxSeconds: 600 };
const DECODED_RATE = 16000;

/** Ogg's CRC-32 bit by bit, independent of the table-driven one under test. */
function referenceCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

interface Page {
  readonly flags: number;
  readonly granule: bigint;
  readonly serial: number;
  readonly sequence: number;
  readonly packets: Uint8Array[];
  readonly segments: number;
}

/** Splits a file into pages, checking what every page must satisfy on the way. */
function parsePages(data: Uint8Array): Page[] {
  const pages: Page[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  while (offset < data.length) {
    assert.ok(offset + 27 <= data.length, `page header cut short at byte ${offset}`);
    assert.deepEqual([...data.subarray(offset, offset + 4)], [0x4f, 0x67, 0x67, 0x53], `capture pattern at byte ${offset}`);
    assert.equal(data[offset + 4], 0, 'stream structure version');
    const segments = data[offset + 26]!;
    const lacing = data.subarray(offset + 27, offset + 27 + segments);
    const bodyLength = lacing.reduce((sum, value) => sum + value, 0);
    const end = offset + 27 + segments + bodyLength;
    assert.ok(end <= data.length, `page at byte ${offset} runs past the end`);
    const page = data.slice(offset, end);
    const stored = view.getUint32(offset + 22, true);
    new DataView(page.buffer).setUint32(22, 0, true);
    assert.equal(stored, referenceCrc(page), `CRC of page ${pages.length}`);
    const packets: Uint8Array[] = [];
    let bodyOffset = offset + 27 + segments;
    let packetLength = 0;
    for (const value of lacing) {
      packetLength += value;
      if (value < 255) {
        packets.push(data.subarray(bodyOffset, bodyOffset + packetLength));
        bodyOffset += packetLength;
        packetLength = 0;
      }
    }
    assert.equal(packetLength, 0, `page ${pages.length} ends inside a packet`);
    pages.push({
      flags: data[offset + 5]!,
      granule: view.getBigInt64(offset + 6, true),
      serial: view.getUint32(offset + 14, true),
      sequence: view.getUint32(offset + 18, true),
      packets,
      segments,
    });
    offset = end;
  }
  return pages;
}

interface OpusFile {
  readonly pages: Page[];
  readonly preSkip: number;
  readonly inputRate: number;
  readonly vendor: string;
  readonly packets: Uint8Array[];
  /** (last granule − pre-skip) / 48000 */
  readonly headerSeconds: number;
}

/** Everything RFC 7845 asks of a mono Ogg/Opus stream with 20 ms packets. */
function checkOpusFile(data: Uint8Array): OpusFile {
  const pages = parsePages(data);
  assert.ok(pages.length >= 3, 'a head page, a tags page and audio');
  pages.forEach((page, index) => {
    assert.equal(page.sequence, index, 'page sequence numbers count up from 0');
    assert.equal(page.serial, pages[0]!.serial, 'one logical stream');
    assert.equal(page.flags & 0x01, 0, 'no packet continues from a previous page');
    assert.equal(page.flags & 0x02, index === 0 ? 0x02 : 0, `beginning-of-stream flag on page ${index}`);
    assert.equal(page.flags & 0x04, index === pages.length - 1 ? 0x04 : 0, `end-of-stream flag on page ${index}`);
    assert.ok(page.segments <= 255);
  });

  const [headPage, tagsPage, ...audioPages] = pages as [Page, Page, ...Page[]];
  assert.equal(headPage.packets.length, 1, 'OpusHead alone on the first page');
  assert.equal(headPage.granule, 0n);
  const head = headPage.packets[0]!;
  const headView = new DataView(head.buffer, head.byteOffset, head.byteLength);
  assert.equal(new TextDecoder().decode(head.subarray(0, 8)), 'OpusHead');
  assert.equal(head.length, 19);
  assert.equal(head[8], 1, 'version');
  assert.equal(head[9], 1, 'mono');
  assert.equal(headView.getInt16(16, true), 0, 'output gain');
  assert.equal(head[18], 0, 'channel mapping family');
  const preSkip = headView.getUint16(10, true);

  assert.equal(tagsPage.packets.length, 1, 'OpusTags alone on the second page');
  assert.equal(tagsPage.granule, 0n);
  const tags = tagsPage.packets[0]!;
  const tagsView = new DataView(tags.buffer, tags.byteOffset, tags.byteLength);
  assert.equal(new TextDecoder().decode(tags.subarray(0, 8)), 'OpusTags');
  const vendorLength = tagsView.getUint32(8, true);
  const vendor = new TextDecoder().decode(tags.subarray(12, 12 + vendorLength));
  assert.equal(tagsView.getUint32(12 + vendorLength, true), 0, 'no user comments');
  assert.equal(tags.length, 12 + vendorLength + 4);

  const packets: Uint8Array[] = [];
  let previous = 0n;
  for (const page of audioPages) {
    assert.ok(page.packets.length > 0, 'every audio page ends a packet');
    packets.push(...page.packets);
    const decoded = BigInt(packets.length * 960);
    if (page === audioPages.at(-1)) {
      // The last page may stop short of what its packets decode to: that is where the audio ends.
      assert.ok(page.granule > decoded - 960n && page.granule <= decoded, `end granule ${page.granule}, packets decode to ${decoded}`);
    } else {
      assert.equal(page.granule, decoded, 'granule position counts 48 kHz samples decoded so far');
    }
    assert.ok(page.granule > previous, 'granule positions increase');
    previous = page.granule;
  }
  for (const packet of packets) {
    const config = packet[0]! >> 3;
    // Frame size by configuration (RFC 6716 §3.1): SILK 0–11, hybrid 12–15, CELT 16–31.
    const twentyMs = config < 12 ? config % 4 === 1 : config < 16 ? config % 2 === 1 : config % 4 === 3;
    assert.ok(twentyMs && (packet[0]! & 0x03) === 0, `packet TOC ${packet[0]} is not one 20 ms frame`);
  }
  const inputRate = headView.getUint32(12, true);
  return { pages, preSkip, inputRate, vendor, packets, headerSeconds: Number(previous - BigInt(preSkip)) / 48000 };
}

function rmsDbfs(samples: Float32Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let index = from; index < to; index += 1) sum += samples[index]! ** 2;
  return 10 * Math.log10(sum / Math.max(1, to - from) || 1e-20);
}

/** The lag (in samples) at which `actual` best matches `reference`, and how well. */
function bestLag(reference: Float32Array, actual: Float32Array, maxLag: number): { lag: number; correlation: number } {
  let best = { lag: 0, correlation: -1 };
  for (let lag = -maxLag; lag <= maxLag; lag += 1) {
    let cross = 0;
    let referenceEnergy = 0;
    let actualEnergy = 0;
    for (let index = Math.max(0, -lag); index < Math.min(reference.length, actual.length - lag); index += 1) {
      cross += reference[index]! * actual[index + lag]!;
      referenceEnergy += reference[index]! ** 2;
      actualEnergy += actual[index + lag]! ** 2;
    }
    const correlation = cross / Math.sqrt(referenceEnergy * actualEnergy || 1);
    if (correlation > best.correlation) best = { lag, correlation };
  }
  return best;
}

async function decode(data: Uint8Array): Promise<DecodedAudio> {
  return decodeAudio(data, LIMITS, 'audio/ogg');
}

function noise(seconds: number, rate: number, seed: number): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: Math.round(seconds * rate) }, () => next() - 0.5);
}

describe('encodeVoiceNote', () => {
  for (const rate of [22050, 16000, 48000]) {
    test(`${rate} Hz speech becomes a valid Ogg/Opus note that decodes to the same audio, in time`, async () => {
      const seconds = 5;
      const source = voiceLike(seconds, rate, 7);
      const note = await encodeVoiceNote(source, rate);
      assert.equal(note.durationSeconds, source.length / rate);

      const file = checkOpusFile(note.data);
      assert.equal(file.preSkip, 312, 'libopus delays its output by 312 samples at 48 kHz');
      assert.equal(file.inputRate, rate, 'the header names the source rate');
      assert.match(file.vendor, /libopus/);
      assert.ok(Math.abs(file.headerSeconds - note.durationSeconds) < 1 / 24000, `header says ${file.headerSeconds} s`);
      assert.equal(file.packets.length, Math.ceil((seconds + 312 / 48000) * 50), 'one packet per 20 ms, and the delay');
      assert.equal(file.pages.length, 2 + Math.ceil(file.packets.length / 50), 'a page a second');
      assert.ok(note.data.length < 30 * 1024, `${note.data.length} bytes for ${seconds} s`);

      const decoded = await decode(note.data);
      assert.equal(decoded.channels, 1);
      assert.ok(Math.abs(decoded.durationSeconds - file.headerSeconds) <= 0.005, `decoded ${decoded.durationSeconds} s, header ${file.headerSeconds} s`);
      assert.ok(measureLoudness(decoded.samples, DECODED_RATE).activeSeconds > 2, 'decodes to sound, not silence');
      // A wrong pre-skip would shift everything: the decoded voice lines up with the source to a sample.
      const reference = rate === DECODED_RATE ? source : resample(source, rate, DECODED_RATE);
      const { lag, correlation } = bestLag(reference, decoded.samples, 80);
      assert.ok(Math.abs(lag) <= 1 && correlation > 0.9, `best match at lag ${lag} samples, correlation ${correlation.toFixed(3)}`);
    });
  }

  test('rates Opus does not take are resampled; odd lengths keep their exact duration', async () => {
    for (const rate of [11025, 44100, 32000, 96000]) {
      const source = voiceLike(1.2345, rate, 3);
      const note = await encodeVoiceNote(source, rate);
      const file = checkOpusFile(note.data);
      assert.equal(note.durationSeconds, source.length / rate);
      assert.ok(Math.abs(file.headerSeconds - note.durationSeconds) < 1 / 8000, `${rate} Hz: header says ${file.headerSeconds} s`);
      const decoded = await decode(note.data);
      assert.ok(Math.abs(decoded.durationSeconds - note.durationSeconds) <= 0.02, `${rate} Hz: decoded ${decoded.durationSeconds} s`);
      assert.ok(rmsDbfs(decoded.samples) > -40, `${rate} Hz decodes to sound`);
    }
  });

  test('a clip shorter than one frame still makes a playable note', async () => {
    const source = voiceLike(0.3, 22050, 2).subarray(2205, 2205 + 200);
    const note = await encodeVoiceNote(source, 22050);
    const file = checkOpusFile(note.data);
    assert.equal(file.packets.length, 1);
    assert.ok(Math.abs(file.headerSeconds - 200 / 22050) < 1 / 24000);
    assert.equal(note.waveform.length, 1);
    const decoded = await decode(note.data);
    assert.ok(Math.abs(decoded.durationSeconds - note.durationSeconds) <= 0.02);
  });

  test('the waveform follows loudness: at most 256 points, varied for speech, zero for silence', async () => {
    const speech = await encodeVoiceNote(voiceLike(8, 22050, 5), 22050);
    assert.equal(speech.waveform.length, 256);
    const values = [...speech.waveform];
    assert.ok(Math.max(...values) - Math.min(...values) > 100, `speech waveform spans ${Math.min(...values)}..${Math.max(...values)}`);
    assert.ok(Math.max(...values) > 150, 'speech at about -20 dBFS reaches well up the scale');

    const silence = await encodeVoiceNote(new Float32Array(22050 * 2), 22050);
    assert.ok(silence.waveform.length >= 1 && silence.waveform.length <= 256);
    assert.ok(silence.waveform.every((value) => value === 0));
    assert.ok((await decode(silence.data)).durationSeconds > 1.9, 'silence is still a note');

    // Speech, then as long a pause: the second half of the waveform is near the bottom.
    const half = voiceLike(2, 22050, 9);
    const both = new Float32Array(half.length * 2);
    both.set(half);
    const waveform = voiceWaveform(both, 22050);
    const second = [...waveform.subarray(waveform.length / 2)];
    assert.ok(second.every((value) => value === 0));
    assert.ok(waveform.subarray(0, waveform.length / 2).some((value) => value > 150));

    // A quiet voice (-30 dB) still shows, lower than a normal one.
    const quiet = voiceWaveform(half.map((value) => value * 0.03), 22050);
    const loud = voiceWaveform(half, 22050);
    assert.ok(Math.max(...quiet) > 30 && Math.max(...quiet) < Math.max(...loud) - 60);
  });

  test('long audio lets the event loop run while it encodes', async () => {
    const source = voiceLike(20, 22050, 4);
    let turns = 0;
    let running = true;
    const spin = () => {
      turns += 1;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    try {
      await encodeVoiceNote(source, 22050);
    } finally {
      running = false;
    }
    // A turn per second of audio resampled and per second encoded, at least.
    assert.ok(turns >= 30, `the event loop turned ${turns} times`);
  });

  test('an abort stops it with the signal reason, and the encoder is always freed', async () => {
    const originalDelete = OpusScript.prototype.delete;
    const originalEncode = OpusScript.prototype.encode;
    let deleted = 0;
    OpusScript.prototype.delete = function (this: OpusScript) {
      deleted += 1;
      return originalDelete.call(this);
    };
    try {
      const source = voiceLike(30, 24000, 6);
      const already = AbortSignal.abort(new Error('stopped before it began'));
      await assert.rejects(encodeVoiceNote(source, 24000, { signal: already }), /stopped before it began/);

      const controller = new AbortController();
      const reason = new Error('the user sent another message');
      // 24 kHz needs no resampling: the abort lands between seconds of encoding.
      const encoding = encodeVoiceNote(source, 24000, { signal: controller.signal });
      setImmediate(() => controller.abort(reason));
      await assert.rejects(encoding, (error) => error === reason);

      // Mid-resampling too, before any encoder exists: 22050 Hz goes through the slices first.
      const resampling = new AbortController();
      const second = encodeVoiceNote(voiceLike(30, 22050, 6), 22050, { signal: resampling.signal });
      setImmediate(() => resampling.abort());
      await assert.rejects(second, { name: 'AbortError' });

      // A failing encode frees its encoder as well.
      OpusScript.prototype.encode = () => {
        throw new Error('Encode error: Internal error');
      };
      await assert.rejects(encodeVoiceNote(source, 24000), /Internal error/);
      assert.equal(deleted, 2, 'the aborted encoder and the failed one were both deleted');
    } finally {
      OpusScript.prototype.delete = originalDelete;
      OpusScript.prototype.encode = originalEncode;
    }
  });

  test('empty audio, bad rates and bad bitrates are refused', async () => {
    await assert.rejects(encodeVoiceNote(new Float32Array(0), 22050), /empty/);
    await assert.rejects(encodeVoiceNote(new Float32Array(100), 0), RangeError);
    await assert.rejects(encodeVoiceNote(new Float32Array(100), 22050.5), RangeError);
    await assert.rejects(encodeVoiceNote(new Float32Array(100), 22050, { bitrate: 100 }), RangeError);
  });

  test('the bitrate is honoured: more bits, a larger file', async () => {
    const source = voiceLike(4, 24000, 8);
    const low = await encodeVoiceNote(source, 24000, { bitrate: 12000 });
    const high = await encodeVoiceNote(source, 24000, { bitrate: 64000 });
    assert.ok(high.data.length > 2 * low.data.length, `${low.data.length} bytes at 12 kbps, ${high.data.length} at 64 kbps`);
  });

  test('samples past full scale and NaN are clipped, not wrapped around', async () => {
    const source = voiceLike(1, 24000, 1).map((value) => value * 4);
    source[100] = Number.NaN;
    const note = await encodeVoiceNote(source, 24000);
    const decoded = await decode(note.data);
    assert.ok(rmsDbfs(decoded.samples) > -20);
    assert.ok(decoded.samples.every((value) => Number.isFinite(value)));
  });
});

describe('resampleInSlices', () => {
  test('matches resampling in one go, at the slice joins too', async () => {
    for (const [from, to] of [
      [22050, 24000],
      [44100, 48000],
      [11025, 12000],
      [32000, 48000],
      [96000, 48000],
      [6000, 8000],
    ] as const) {
      // Noise has energy at every frequency, so a slice cut without enough context would show.
      const source = noise(3.7, from, from);
      const whole = resample(source, from, to);
      const sliced = await resampleInSlices(source, from, to);
      assert.equal(sliced.length, whole.length);
      let largest = 0;
      for (let index = 0; index < whole.length; index += 1) largest = Math.max(largest, Math.abs(whole[index]! - sliced[index]!));
      assert.ok(largest < 1e-6, `${from} → ${to}: differs by up to ${largest}`);
    }
  });
});

describe('OggWriter', () => {
  test('lacing: a packet of a multiple of 255 bytes ends with a 0, and a page never has over 255 segments', () => {
    const writer = new OggWriter(7, { packetsPerPage: 100 });
    writer.writeHeader(new Uint8Array(19));
    const sizes = [255, 0, 510, 1000, ...Array.from({ length: 60 }, () => 1275)];
    sizes.forEach((size, index) => writer.writePacket(new Uint8Array(size).fill(index), BigInt((index + 1) * 960)));
    const pages = parsePages(writer.finish());
    const packets = pages.slice(1).flatMap((page) => page.packets);
    assert.deepEqual(
      packets.map((packet) => packet.length),
      sizes,
    );
    packets.forEach((packet, index) => assert.ok(packet.every((byte) => byte === (index & 0xff))));
    // 370 lacing values: the 64 packets fit the packet limit but need two pages.
    assert.equal(pages.length, 3, 'large packets spread over more pages');
    assert.ok(pages.every((page) => page.segments <= 255));
  });

  test('refuses what would make a broken stream', () => {
    const writer = new OggWriter(1, { packetsPerPage: 10 });
    assert.throws(() => writer.writePacket(new Uint8Array(10), 960n), /starts with its codec header/);
    writer.writeHeader(new Uint8Array(19));
    assert.throws(() => writer.finish(), /at least one packet/);
    assert.throws(() => writer.writePacket(new Uint8Array(MAX_PACKET_BYTES + 1), 960n), RangeError);
    writer.writePacket(new Uint8Array(MAX_PACKET_BYTES), 960n);
    assert.throws(() => writer.writePacket(new Uint8Array(10), 100n), /went back/);
    assert.throws(() => writer.writeHeader(new Uint8Array(19)), /before audio/);
    writer.finish();
    assert.throws(() => writer.finish(), /already been finished/);
    assert.throws(() => new OggWriter(2 ** 32, { packetsPerPage: 1 }), RangeError);
  });
});
