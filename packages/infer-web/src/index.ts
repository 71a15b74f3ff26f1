/**
 * `@charrnn/infer-web`: the browser (and default) entry: the runtime-free core plus the
 * onnxruntime-web adapter. Imports nothing from node: or onnxruntime-node, so bundlers can take it
 * as is; Node users who want onnxruntime-node import `@charrnn/infer-web/node`.
 */
export * from './core.js';
export { CharGenerator, webRuntime, type WebBackend, type WebLoadOptions, type WebRuntimeOptions } from './browser.js';
export type { OrtApi } from './ort-session.js';
export { clearDownloadCache, DEFAULT_CACHE_NAME } from './download-cache.js';
export { ORT_SITE_FILES, ORT_WEB_BUILDS, type OrtWebBuild, type OrtWebBuildFiles, type OrtWebLoader, type OrtWebModule } from './ort-web-builds.js';
