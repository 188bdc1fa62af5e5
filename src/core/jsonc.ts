/**
 * JSON with comments and trailing commas (JSONC), as several harnesses' settings files allow
 * (Gemini CLI, Qwen Code, OpenCode): line and block comments outside strings go, and a comma
 * before `}` or `]` outside strings goes.
 */
export function stripJsonc(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i === -1) break;
      i++;
    } else if (c === ',' && /^\s*[}\]]/.test(text.slice(i + 1, i + 1 + 256).replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ''))) {
      // A trailing comma (comments between it and the bracket are dropped anyway).
    } else out += c;
  }
  return out;
}

/** `JSON.parse` of JSONC text; throws like JSON.parse on anything else that is malformed. */
export function parseJsonc(text: string): unknown {
  return JSON.parse(stripJsonc(text));
}
