/**
 * What a person wants from a photo when no vision model is needed: its text read out verbatim,
 * or its colours and light. Anything else is a question for the vision model.
 */
export type PhotoIntent = 'read' | 'colour';

/** The commands that act on a photo rather than on the person's data. */
export const PHOTO_COMMANDS: Readonly<Record<string, PhotoIntent>> = { read: 'read', color: 'colour' };

// Only a request that asks for nothing but the reading: "read the expiry date" is a question
// about the text, answered by the vision model with the text found in the photo beside it.
const READ_REQUEST = new RegExp(
  [
    String.raw`^(?:(?:please|can you|could you|would you)\s+)?(?:read|read out|read aloud)(?:\s+(?:this|it|that|the text|the label|the sign|the letter|the page|the screen|the receipt|the box|the note|this text|this label|this sign|this letter|this page|this screen|this receipt|this box|this note|what it says|all(?: of it)?|everything))?(?:\s+(?:out|aloud|out loud|to me|for me|please))*$`,
    String.raw`^(?:what does (?:this|it|the (?:label|sign|text|letter|page|screen|note)) say)$`,
    String.raw`^(?:请|麻烦)?(?:帮我|给我)?(?:读一下|读读|读出来|念一下|念念|念出来|读|念)(?:这个|这张|一下|上面的字|上面的文字|文字|内容|吧)*$`,
    String.raw`^(?:这上面)?写的?(?:是)?什么$`,
    String.raw`^(?:por favor\s+)?(?:l[ée]e(?:lo|la|me)?(?:\s+(?:esto|esta|este|el texto|la etiqueta))?|l[ée]eme\s+(?:esto|el texto|la etiqueta))(?:\s+por favor)?$`,
  ].join('|'),
  'iu',
);

const COLOUR_QUESTION = new RegExp(
  [
    String.raw`^(?:(?:please\s+)?(?:tell me\s+)?)?what colou?rs?\s+(?:is|are)\s+(?:this|it|that|these|those|the \w+(?: \w+)?)$`,
    String.raw`^what(?:'s| is) the colou?r(?: of (?:this|it|that|the \w+(?: \w+)?))?$`,
    String.raw`^(?:which|what) colou?r$`,
    String.raw`^(?:is|are) (?:the )?lights? (?:on|off)$`,
    String.raw`^(?:is it|is the room) (?:dark|bright|light)$`,
    String.raw`^(?:这|这个|它|这件|那个)?(?:是)?什么颜色(?:的)?$`,
    String.raw`^灯(?:是)?(?:开着|亮着|关着|开|关)(?:的)?(?:吗|没有|了吗)?$`,
    String.raw`^(?:¿\s*)?(?:de )?qu[ée] colou?r (?:es|son|tiene)(?: esto| esta| este)?$`,
    String.raw`^(?:¿\s*)?(?:est[áa]|est[áa]n) (?:la luz|las luces) (?:encendida|encendidas|apagada|apagadas)$`,
  ].join('|'),
  'iu',
);

/** The intent of a photo turn, from its command or its words; undefined for a vision-model question. */
export function photoIntent(question: string, command?: string): PhotoIntent | undefined {
  if (command !== undefined) return PHOTO_COMMANDS[command];
  const words = question
    .trim()
    .replace(/[\s.!?。！？…,，¿¡]+$/u, '')
    .replace(/^[¡¿]\s*/u, '')
    .replace(/[,，、]/gu, ' ')
    .replace(/\s+/gu, ' ');
  if (!words) return undefined;
  if (READ_REQUEST.test(words)) return 'read';
  if (COLOUR_QUESTION.test(words)) return 'colour';
  return undefined;
}

/** "Is the light on?" is answered from brightness first; "what colour" from the colours first. */
export function asksAboutLight(question: string): boolean {
  return /\blights?\b|\b(?:dark|bright)\b|灯|\bluz\b|\bluces\b/iu.test(question);
}
