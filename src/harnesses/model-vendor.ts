/**
 * The maker of a model from its name, for harnesses that run many vendors' models (Pi,
 * OpenCode, Copilot, Qwen Code): `fallback` when the name says nothing (a vendor of its own,
 * never the same as Claude's or Codex's). Polly routes review to another vendor by it.
 */
export function vendorFromModel(model: string | undefined, fallback: string): string {
  const m = (model ?? '').toLowerCase();
  if (/claude|anthropic|opus|sonnet|haiku/.test(m)) return 'anthropic';
  if (/(^|[/:.-])(gpt|o[1-9]|codex|openai)/.test(m)) return 'openai';
  if (/gemini|google/.test(m)) return 'google';
  if (/qwen|alibaba|dashscope/.test(m)) return 'alibaba';
  return fallback;
}
