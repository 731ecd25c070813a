/** Writes .env.example from the settings table (`npm run env-example`). */
import { writeFileSync } from 'node:fs';
import { envExample } from '../src/lib/config/env-example.ts';

writeFileSync(new URL('../.env.example', import.meta.url), envExample());
console.log('wrote .env.example');
