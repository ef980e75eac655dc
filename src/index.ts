/**
 * The package entry point (`import { defineConfig } from 'kodev'`): what a
 * `kodev.config.ts` needs, and the types of the resolved configuration.
 */
export { defineConfig, type KodevUserBuild, type KodevUserConfig } from './config/define-config.js';
export type { BuildEntry, KodevConfig } from './config/types.js';
