/**
 * The methods registered for each route pattern, collected from fastify's onRoute hook, so the not-found
 * handler can tell "no such path" (404) from "no such method on this path" (405 with Allow) for every
 * route, including ones added later.
 */
export class KnownRoutes {
  private readonly patterns: Array<{ regex: RegExp; methods: Set<string> }> = [];
  private readonly byUrl = new Map<string, Set<string>>();

  add(url: string, method: string | string[]): void {
    let methods = this.byUrl.get(url);
    if (!methods) {
      methods = new Set();
      this.byUrl.set(url, methods);
      this.patterns.push({ regex: patternToRegex(url), methods });
    }
    for (const m of Array.isArray(method) ? method : [method]) methods.add(m.toUpperCase());
  }

  /** The methods some route accepts on this path (sorted), empty when no route matches it. */
  allowedMethods(path: string): string[] {
    const allowed = new Set<string>();
    for (const p of this.patterns) if (p.regex.test(path)) for (const m of p.methods) allowed.add(m);
    return [...allowed].sort();
  }
}

/** find-my-way's route syntax (`:param`, `*`) as an anchored regular expression over a path. */
function patternToRegex(url: string): RegExp {
  const parts = url.split('/').map((segment) => {
    if (segment === '*') return '.*';
    if (segment.startsWith(':')) return '[^/]+';
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('/')}$`);
}
