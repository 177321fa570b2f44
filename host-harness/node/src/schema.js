// The contract's type schema (generated/contract.json, written by scripts/generate.js from wit/).
import fs from 'node:fs';

/** @type {{ package: string, version: string, interface: string, types: Record<string, any>, functions: Record<string, any> }} */
export const schema = JSON.parse(fs.readFileSync(new URL('../generated/contract.json', import.meta.url), 'utf8'));
