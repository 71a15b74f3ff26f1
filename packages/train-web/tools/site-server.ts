/** Serves the training site on 127.0.0.1 (a secure context: OPFS, WebGPU), optionally cross-origin isolated (wasm threads). */
import { CROSS_ORIGIN_ISOLATION, startStaticServer, type StaticServer } from '../../infer-web/tools/static-server.js';
import { DEFAULT_SITE_DIR } from './bundle.js';

export interface SiteServerOptions {
  siteDir?: string;
  port?: number;
  host?: string;
  isolated?: boolean;
}

export function startSiteServer(options: SiteServerOptions = {}): Promise<StaticServer> {
  return startStaticServer({
    mounts: { '/': options.siteDir ?? DEFAULT_SITE_DIR },
    port: options.port,
    host: options.host,
    headers: options.isolated ? CROSS_ORIGIN_ISOLATION : undefined,
  });
}
