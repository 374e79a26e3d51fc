// The browser-side protections of the pages a service serves (the API documentation at /docs,
// the orchestrator's inspector at /ui): a Content-Security-Policy that lets a page load scripts,
// styles, images and connections from its own origin only, refuses framing (clickjacking of
// operator buttons), and sends no referrer. Registered per route scope (Fastify encapsulation)
// through @fastify/helmet, so the JSON API keeps its plain answers and every page route in the
// scope is covered without a header written by hand.
import helmet, { type FastifyHelmetOptions } from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

/** What a page needs beyond the strict default; each widens the policy and says why. */
export interface PagePolicyOptions {
  /**
   * Allow `style` elements and attributes written at run time (`style-src 'unsafe-inline'`).
   * Needed by a page that inserts generated SVG with its own `<style>` (Mermaid does); scripts
   * stay strict either way. Default false.
   */
  inlineStyles?: boolean;
  /** Allow `data:` images (icons embedded in a stylesheet, as Swagger UI's are). Default false. */
  dataImages?: boolean;
}

/** The @fastify/helmet options of a strict page; see {@link registerPagePolicy}. */
export function pagePolicyOptions(options: PagePolicyOptions = {}): FastifyHelmetOptions {
  const self = "'self'";
  return {
    contentSecurityPolicy: {
      // Every directive is listed here, none taken from helmet's defaults (which allow https:
      // styles and fonts, inline styles, and framing by the same origin).
      useDefaults: false,
      directives: {
        "default-src": [self],
        "script-src": [self],
        "script-src-attr": ["'none'"],
        "style-src": options.inlineStyles ? [self, "'unsafe-inline'"] : [self],
        "img-src": options.dataImages ? [self, "data:"] : [self],
        "font-src": [self],
        "connect-src": [self],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": [self],
        "frame-ancestors": ["'none'"],
      },
    },
    // For browsers that predate frame-ancestors.
    xFrameOptions: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    // nosniff, Cross-Origin-Opener/Resource-Policy same-origin and the rest of helmet's
    // defaults stay on.
  };
}

/**
 * Applies the strict page policy to every route registered in `scope` after this call (and to
 * none outside it). Call first in an encapsulated plugin that serves pages.
 */
export async function registerPagePolicy(
  scope: FastifyInstance,
  options: PagePolicyOptions = {},
): Promise<void> {
  await scope.register(helmet, pagePolicyOptions(options));
}
