import fs from 'node:fs';
import path from 'node:path';
import { OmniError } from './errors.js';
import { YamlError, YamlSource, type YEntry } from './yaml.js';

/**
 * `<configDir>/config.yaml`, generically: reading the file and checking its top-level keys.
 * What a section means is parsed where it is used (the daemon assembles them; docs/CONFIG.md).
 */

export const CONFIG_FILE_NAME = 'config.yaml';

/**
 * config.yaml's top-level entries, each key checked against `known` (an unknown one fails with
 * file:line:column, naming the valid ones). An empty document has none. Throws YamlError.
 */
export function configEntries(text: string, file: string, known: readonly string[]): YEntry[] {
  const root = new YamlSource(file, text).root();
  if (root.kind() === 'null') return [];
  return root.map(CONFIG_FILE_NAME, known);
}

/**
 * Read `<configDir>/config.yaml` and parse it with `parse`. A missing file gives `fallback()`;
 * a YamlError becomes OmniError `config_invalid` with the same `file:line:column: message`.
 */
export function loadConfigFile<T>(configDir: string, parse: (text: string, file: string) => T, fallback: () => T): T {
  const file = path.join(configDir, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return fallback();
  }
  try {
    return parse(text, file);
  } catch (err) {
    if (err instanceof YamlError) throw new OmniError(err.message, 'config_invalid');
    throw err;
  }
}
