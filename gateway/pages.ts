import { dashboardPage } from '../dashboard/page';
import type { HttpRequest, HttpResponse } from '../platform/http';
import type { GatewayConfig } from './config';

/**
 * Pages the gateway serves beside the graph, by path prefix: each is built from the project's own files
 * and installed packages, with no request to any outside host. A page's handler answers GET requests under
 * its prefix; it reaches the graph like any other client, over HTTP with persisted operations.
 */
export interface Page {
  /** A path prefix such as `/dashboard`; requests to it and below it go to `handle`. */
  prefix: string;
  /** Whether the page is served with these settings (e.g. off in production unless enabled). */
  enabled(config: GatewayConfig): boolean;
  handle(request: HttpRequest, config: GatewayConfig): Promise<HttpResponse>;
}

export const PAGES: Page[] = [dashboardPage];

/** The page that serves a path, if any. */
export function pageFor(path: string, config: GatewayConfig): Page | undefined {
  return PAGES.find((page) => (path === page.prefix || path.startsWith(`${page.prefix}/`)) && page.enabled(config));
}
