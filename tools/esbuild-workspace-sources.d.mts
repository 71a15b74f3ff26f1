import type { Plugin } from 'esbuild';
export declare const WORKSPACE_ROOT: string;
export declare function workspaceSources(): Plugin;
