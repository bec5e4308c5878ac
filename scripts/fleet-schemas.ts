// Prints the JSON schema of every fleet payload (src/sync/payloads.ts) as the Markdown blocks docs/fleet.md
// carries: `node --import tsx scripts/fleet-schemas.ts`. test/docs/fleet-doc.test.ts keeps the two equal.
import { payloadSchemas } from '../src/sync/payloads.ts';

for (const schema of payloadSchemas) process.stdout.write(`#### \`${schema.$id}\`\n\n\`\`\`json\n${JSON.stringify(schema, null, 2)}\n\`\`\`\n\n`);
