/**
 * Simple fonts' byte -> text tables: WinAnsi, MacRoman and Standard encodings, and glyph names
 * (a font's /Differences) -> text.
 */

const winAnsi = new TextDecoder("windows-1252");
const macRoman = new TextDecoder("macintosh");

/** Standard encoding where it differs from ASCII (codes 0x27, 0x60 and the upper half). */
const STANDARD: Record<number, string> = {
  0x27: "\u2019",
  0x60: "\u2018",
  0xa1: "¡",
  0xa2: "¢",
  0xa3: "£",
  0xa4: "\u2044",
  0xa5: "¥",
  0xa6: "\u0192",
  0xa7: "§",
  0xa8: "¤",
  0xa9: "'",
  0xaa: "\u201c",
  0xab: "«",
  0xac: "\u2039",
  0xad: "\u203a",
  0xae: "\ufb01",
  0xaf: "\ufb02",
  0xb1: "\u2013",
  0xb2: "\u2020",
  0xb3: "\u2021",
  0xb4: "·",
  0xb6: "¶",
  0xb7: "\u2022",
  0xb8: "\u201a",
  0xb9: "\u201e",
  0xba: "\u201d",
  0xbb: "»",
  0xbc: "\u2026",
  0xbd: "\u2030",
  0xbf: "¿",
  0xc1: "`",
  0xc2: "´",
  0xc3: "\u02c6",
  0xc4: "\u02dc",
  0xc5: "¯",
  0xc6: "\u02d8",
  0xc7: "\u02d9",
  0xc8: "¨",
  0xca: "\u02da",
  0xcb: "¸",
  0xcd: "\u02dd",
  0xce: "\u02db",
  0xcf: "\u02c7",
  0xd0: "\u2014",
  0xe1: "Æ",
  0xe3: "ª",
  0xe8: "\u0141",
  0xe9: "Ø",
  0xea: "\u0152",
  0xeb: "º",
  0xf1: "æ",
  0xf5: "\u0131",
  0xf8: "\u0142",
  0xf9: "ø",
  0xfa: "\u0153",
  0xfb: "ß",
};

/** The 256 characters of a named base encoding (WinAnsi for any other name). */
export function baseEncoding(name: string | undefined): string[] {
  const table: string[] = [];
  for (let c = 0; c < 256; c++) {
    const byte = Uint8Array.of(c);
    if (name === "MacRomanEncoding") table.push(c < 32 ? "" : macRoman.decode(byte));
    else if (name === "StandardEncoding") {
      table.push(STANDARD[c] ?? (c >= 32 && c < 127 ? String.fromCharCode(c) : ""));
    } else table.push(c < 32 ? "" : winAnsi.decode(byte));
  }
  return table;
}

const NAMED: Record<string, string> = {
  space: " ",
  exclam: "!",
  quotedbl: '"',
  numbersign: "#",
  dollar: "$",
  percent: "%",
  ampersand: "&",
  quotesingle: "'",
  quoteright: "\u2019",
  quoteleft: "\u2018",
  parenleft: "(",
  parenright: ")",
  asterisk: "*",
  plus: "+",
  comma: ",",
  hyphen: "-",
  period: ".",
  slash: "/",
  zero: "0",
  one: "1",
  two: "2",
  three: "3",
  four: "4",
  five: "5",
  six: "6",
  seven: "7",
  eight: "8",
  nine: "9",
  colon: ":",
  semicolon: ";",
  less: "<",
  equal: "=",
  greater: ">",
  question: "?",
  at: "@",
  bracketleft: "[",
  backslash: "\\",
  bracketright: "]",
  asciicircum: "^",
  underscore: "_",
  grave: "`",
  braceleft: "{",
  bar: "|",
  braceright: "}",
  asciitilde: "~",
  quotedblleft: "\u201c",
  quotedblright: "\u201d",
  endash: "\u2013",
  emdash: "\u2014",
  bullet: "\u2022",
  ellipsis: "\u2026",
  fi: "\ufb01",
  fl: "\ufb02",
  ff: "\ufb00",
  ffi: "\ufb03",
  ffl: "\ufb04",
  minus: "\u2212",
  copyright: "©",
  registered: "®",
  trademark: "\u2122",
  degree: "°",
  germandbls: "ß",
  ae: "æ",
  AE: "Æ",
  oe: "\u0153",
  OE: "\u0152",
  oslash: "ø",
  Oslash: "Ø",
  euro: "\u20ac",
  Euro: "\u20ac",
  nbspace: "\u00a0",
  sterling: "£",
  section: "§",
  paragraph: "¶",
  dagger: "\u2020",
  daggerdbl: "\u2021",
  quotesinglbase: "\u201a",
  quotedblbase: "\u201e",
  guillemotleft: "«",
  guillemotright: "»",
  exclamdown: "¡",
  questiondown: "¿",
  multiply: "×",
  divide: "÷",
  plusminus: "±",
  mu: "µ",
  periodcentered: "·",
  dotlessi: "\u0131",
  lslash: "\u0142",
  Lslash: "\u0141",
  eth: "ð",
  Eth: "Ð",
  thorn: "þ",
  Thorn: "Þ",
};

const MARKS: Record<string, string> = {
  acute: "\u0301",
  grave: "\u0300",
  circumflex: "\u0302",
  dieresis: "\u0308",
  tilde: "\u0303",
  ring: "\u030a",
  cedilla: "\u0327",
  caron: "\u030c",
  macron: "\u0304",
  breve: "\u0306",
  ogonek: "\u0328",
  dotaccent: "\u0307",
  hungarumlaut: "\u030b",
};
const ACCENTED = new RegExp(`^([A-Za-z])(${Object.keys(MARKS).join("|")})$`);

/** The text a glyph name stands for; "" when unknown. */
export function glyphText(name: string): string {
  const plain = name.split(".")[0] ?? ""; // "a.sc", "one.oldstyle"
  if (/^[A-Za-z]$/.test(plain)) return plain;
  const named = NAMED[plain];
  if (named !== undefined) return named;
  const uni = /^uni([0-9A-Fa-f]{4})+$/.test(plain)
    ? plain.slice(3).match(/.{4}/g)!.map((h) => String.fromCharCode(parseInt(h, 16))).join("")
    : /^u[0-9A-Fa-f]{4,6}$/.test(plain)
    ? safeCodePoint(parseInt(plain.slice(1), 16))
    : undefined;
  if (uni !== undefined) return uni;
  const accented = ACCENTED.exec(plain);
  if (accented) return (accented[1]! + MARKS[accented[2]!]!).normalize("NFC");
  return "";
}

function safeCodePoint(cp: number): string {
  return cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
}
