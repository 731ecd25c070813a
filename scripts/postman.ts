/** Writes docs/postman/vidbot.postman_collection.json from the server's OpenAPI description (`npm run postman`). */
import { writeFileSync } from 'node:fs';
import { postmanCollectionText } from '../src/server/openapi/postman.ts';
import { referenceDocument } from '../src/server/openapi/reference.ts';

writeFileSync(new URL('../docs/postman/vidbot.postman_collection.json', import.meta.url), postmanCollectionText(await referenceDocument()));
console.log('wrote docs/postman/vidbot.postman_collection.json');
