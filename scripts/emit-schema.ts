// Writes schemas/run-config.schema.json from the config schema:
//   node --import tsx scripts/emit-schema.ts
// Run it after changing src/core/config/schema.ts (a unit test fails until you do).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_CONFIG_SCHEMA_FILE, runConfigJsonSchemaText } from '../src/core/configJsonSchema';

const root = path.resolve(__dirname, '..');
const file = path.join(root, RUN_CONFIG_SCHEMA_FILE);
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, runConfigJsonSchemaText());
console.log(`wrote ${RUN_CONFIG_SCHEMA_FILE}`);
