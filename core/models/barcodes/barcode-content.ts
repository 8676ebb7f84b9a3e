import type { BarcodeContent } from '../../perception/barcode-scanner.js';

/**
 * zxing's format names (its `BarcodeFormat` values) as people know them, for the formats the
 * scanner looks for and the few variants zxing may report for them.
 */
const FORMAT_NAMES: Readonly<Record<string, string>> = {
  EAN13: 'EAN-13',
  EAN8: 'EAN-8',
  UPCA: 'UPC-A',
  UPCE: 'UPC-E',
  ISBN: 'ISBN',
  Code128: 'Code 128',
  Code39: 'Code 39',
  Code39Std: 'Code 39',
  Code39Ext: 'Code 39',
  Code93: 'Code 93',
  ITF: 'ITF',
  ITF14: 'ITF-14',
  Codabar: 'Codabar',
  QRCode: 'QR code',
  QRCodeModel1: 'QR code',
  QRCodeModel2: 'QR code',
  MicroQRCode: 'Micro QR code',
  RMQRCode: 'rMQR code',
  DataMatrix: 'Data Matrix',
  PDF417: 'PDF417',
  CompactPDF417: 'PDF417',
  MicroPDF417: 'MicroPDF417',
  Aztec: 'Aztec code',
  AztecCode: 'Aztec code',
  AztecRune: 'Aztec code',
  MaxiCode: 'MaxiCode',
};

/** Product codes: what they hold is a number to look up, not text to read out. */
const PRODUCT_FORMATS: ReadonlySet<string> = new Set(['EAN13', 'EAN8', 'UPCA', 'UPCE', 'ISBN']);

/** The name people know a zxing format by (`QRCode` -> `QR code`); unknown names are kept as they are. */
export function barcodeFormatName(format: string): string {
  return FORMAT_NAMES[format] ?? format;
}

/**
 * What a barcode holds, said plainly. Pure: a URL is recognised, never opened or fetched; a Wi-Fi
 * configuration gives its network name and whether it has a password, never the password itself.
 * `format` is zxing's format name (`EAN13`, `QRCode`).
 */
export function parseBarcodeContent(text: string, format: string): BarcodeContent {
  if (PRODUCT_FORMATS.has(format)) {
    const number = text.replace(/[\s-]/g, '');
    // zxing checks the check digit; anything else than digits would be an add-on we did not ask for.
    if (/^\d{6,14}$/.test(number)) return { kind: 'product', number };
  }
  const trimmed = text.trim();
  const url = asWebAddress(trimmed);
  if (url !== undefined) return { kind: 'url', url };
  const wifi = parseWifi(trimmed);
  if (wifi !== undefined) return wifi;
  return { kind: 'text', text };
}

/** An http(s) address on its own, as written (no normalisation: the listener hears what is printed). */
function asWebAddress(text: string): string | undefined {
  if (!/^https?:\/\/\S+$/i.test(text)) return undefined;
  try {
    const parsed = new URL(text);
    return parsed.hostname === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * The de-facto Wi-Fi QR format (ZXing's "WIFI:" proposal, also what Android and iOS share):
 * `WIFI:T:WPA;S:name;P:secret;H:false;;`, fields in any order, `\` escaping `;`, `,`, `:`, `"` and `\`,
 * a name in double quotes when it could be read as hex.
 */
function parseWifi(text: string): BarcodeContent | undefined {
  if (!/^WIFI:/i.test(text)) return undefined;
  const fields = new Map<string, string>();
  for (const field of splitUnescaped(text.slice('WIFI:'.length))) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const key = field.slice(0, colon).toUpperCase();
    // The first occurrence wins, as in the readers phones use.
    if (!fields.has(key)) fields.set(key, unescape(field.slice(colon + 1)));
  }
  const name = fields.get('S');
  if (name === undefined) return undefined;
  const network = unquote(name);
  const password = fields.get('P');
  const type = fields.get('T');
  const security = describeSecurity(type);
  // A network without security has no password to type, whatever the code says.
  const hasPassword = security !== 'none' && password !== undefined && unquote(password) !== '';
  return security === undefined ? { kind: 'wifi', network, hasPassword } : { kind: 'wifi', network, security, hasPassword };
}

function describeSecurity(type: string | undefined): string | undefined {
  if (type === undefined || type.trim() === '') return undefined;
  const upper = type.trim().toUpperCase();
  if (upper === 'NOPASS' || upper === 'NONE') return 'none';
  // WPA3's handshake, as written in the codes that phones make.
  if (upper === 'SAE') return 'WPA3';
  return upper;
}

/** Splits at `;` not preceded by an escaping `\`, keeping the escapes for unescape(). */
function splitUnescaped(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (char === '\\' && index + 1 < text.length) {
      current += char + text[index + 1]!;
      index += 1;
    } else if (char === ';') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current !== '') parts.push(current);
  return parts;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
