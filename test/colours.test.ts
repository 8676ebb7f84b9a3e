import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { COLOUR_NAMES, readColours, type ColourName } from '../core/perception/colours.js';

type Rgb = { r: number; g: number; b: number };

function rgb(hex: string): Rgb {
  return { r: parseInt(hex.slice(1, 3), 16), g: parseInt(hex.slice(3, 5), 16), b: parseInt(hex.slice(5, 7), 16) };
}

async function solid(colour: Rgb | string, width = 400, height = 300): Promise<Uint8Array> {
  const background = typeof colour === 'string' ? rgb(colour) : colour;
  return sharp({ create: { width, height, channels: 3, background } }).jpeg({ quality: 90 }).toBuffer();
}

async function fromSvg(svg: string): Promise<Uint8Array> {
  return sharp(Buffer.from(svg)).flatten({ background: '#000000' }).jpeg({ quality: 90 }).toBuffer();
}

describe('readColours', () => {
  // Patches named as people name them; the tricky pairs sit side by side.
  const patches: readonly (readonly [string, ColourName])[] = [
    ['#000000', 'black'],
    ['#ffffff', 'white'],
    ['#808080', 'grey'],
    ['#404040', 'dark grey'],
    ['#b4b4b4', 'light grey'],
    // White paper in a dim room, as a phone records it: grey levels, but still white, not grey.
    ['#cfcfcb', 'white'],
    ['#e01b24', 'red'],
    ['#800000', 'dark red'],
    ['#ffc0cb', 'pink'],
    ['#ff69b4', 'pink'],
    ['#ff8c00', 'orange'],
    ['#e67e22', 'orange'],
    ['#cc5500', 'orange'],
    ['#8b4513', 'brown'],
    ['#a0522d', 'brown'],
    ['#8b5a2b', 'brown'],
    ['#3b2a1e', 'brown'],
    ['#f5f5dc', 'beige'],
    ['#d2b48c', 'beige'],
    ['#ffff00', 'yellow'],
    ['#ffd700', 'yellow'],
    ['#808000', 'olive'],
    ['#008000', 'green'],
    ['#2e8b57', 'green'],
    ['#006400', 'dark green'],
    ['#90ee90', 'light green'],
    ['#008080', 'teal'],
    ['#40e0d0', 'turquoise'],
    ['#add8e6', 'light blue'],
    ['#87ceeb', 'light blue'],
    ['#4169e1', 'blue'],
    ['#1e90ff', 'blue'],
    ['#000080', 'dark blue'],
    ['#1f2a44', 'dark blue'],
    ['#800080', 'purple'],
    ['#8a2be2', 'purple'],
    ['#e6e6fa', 'lavender'],
    ['#ff00ff', 'magenta'],
  ];

  for (const [hex, expected] of patches) {
    it(`names a ${hex} patch ${expected}`, async () => {
      const reading = await readColours(await solid(hex));
      assert.deepEqual(
        reading.colours.map((colour) => colour.name),
        [expected],
      );
      assert.equal(reading.colours[0]!.share, 1);
    });
  }

  it('uses only names from COLOUR_NAMES, each once', () => {
    assert.equal(new Set(COLOUR_NAMES).size, COLOUR_NAMES.length);
    const named = new Set(patches.map(([, name]) => name));
    for (const name of COLOUR_NAMES) assert.ok(named.has(name), `no patch is named ${name}`);
  });

  it('gives both colours of a two-colour centre with their shares', async () => {
    // The centre is the middle 60 %: rows 60-240 of 300, of which 60-180 red and 180-240 blue.
    const image = await fromSvg(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">
      <rect width="400" height="180" fill="#d62020"/><rect y="180" width="400" height="120" fill="#1e50c8"/></svg>`);
    const { colours } = await readColours(image);
    assert.deepEqual(colours.map((colour) => colour.name), ['red', 'blue']);
    assert.ok(Math.abs(colours[0]!.share - 2 / 3) < 0.03, `red share ${colours[0]!.share}`);
    assert.ok(Math.abs(colours[1]!.share - 1 / 3) < 0.03, `blue share ${colours[1]!.share}`);
  });

  it('looks at the centre only, and leaves out colours under a tenth of it', async () => {
    // A yellow object in the middle on a green table, with a small red sticker on it.
    const image = await fromSvg(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">
      <rect width="400" height="300" fill="#1e7b1e"/><rect x="70" y="50" width="260" height="200" fill="#f5d90a"/>
      <rect x="190" y="140" width="20" height="20" fill="#d62020"/></svg>`);
    const { colours } = await readColours(image);
    assert.deepEqual(colours.map((colour) => colour.name), ['yellow']);
  });

  it('reads 16-bit PNGs and CMYK JPEGs as the colours they show', async () => {
    const create = () => sharp({ create: { width: 300, height: 200, channels: 3, background: rgb('#1e62d0') } });
    const png16 = await create().toColourspace('rgb16').png().toBuffer();
    const cmyk = await create().toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer();
    assert.deepEqual((await readColours(png16)).colours, [{ name: 'blue', share: 1 }]);
    assert.deepEqual((await readColours(cmyk)).colours, [{ name: 'blue', share: 1 }]);
  });

  it('says how bright the whole photo is, in words', async () => {
    assert.equal((await readColours(await solid('#000000'))).brightness, 'very-dark');
    assert.equal((await readColours(await solid('#282828'))).brightness, 'dark');
    assert.equal((await readColours(await solid('#464646'))).brightness, 'dim');
    assert.equal((await readColours(await solid('#808080'))).brightness, 'bright');
    assert.equal((await readColours(await solid('#ffffff'))).brightness, 'very-bright');
  });

  it('finds a lamp that is on in a dark room', async () => {
    const image = await fromSvg(`<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">
      <defs><radialGradient id="glow"><stop offset="0.3" stop-color="#ffffff"/><stop offset="1" stop-color="#ffffff" stop-opacity="0"/></radialGradient></defs>
      <rect width="800" height="600" fill="#1c1a18"/><rect x="350" y="200" width="100" height="250" fill="#2a2622"/>
      <circle cx="400" cy="180" r="60" fill="url(#glow)"/></svg>`);
    const reading = await readColours(image);
    assert.equal(reading.lightSource, true);
    assert.equal(reading.brightness, 'dark');
  });

  it('finds no light source in a uniformly grey photo, a dark room, or a white page filling the frame', async () => {
    assert.equal((await readColours(await solid('#808080'))).lightSource, false);
    const room = await fromSvg(`<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">
      <rect width="800" height="600" fill="#1c1a18"/><rect x="350" y="200" width="100" height="250" fill="#2a2622"/>
      <circle cx="400" cy="180" r="40" fill="#6e6a60"/></svg>`);
    assert.equal((await readColours(room)).lightSource, false);
    assert.equal((await readColours(await solid('#ffffff'))).lightSource, false);
  });
});
