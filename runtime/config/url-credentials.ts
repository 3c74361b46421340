import { hasProviderReference } from './config-providers.js';

/**
 * Passwords inside URL-valued settings (`connection.url`, `schema.registry.url` …): the
 * userinfo of `scheme://user:pass@host` and `password=` style query parameters (JDBC
 * drivers accept both). Masked wherever password-type values are; a provider reference
 * in their place is shown, like a password key's reference.
 */
const HIDDEN = '[hidden]';

const userinfo = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):([^\s/?#]*)@/gi;
const queryPassword = /([?&;](?:ssl)?(?:password|passwd|pwd|pass)=)([^&;#\s"]*)/gi;

function hidden(value: string): string {
  return value === '' || value === HIDDEN || hasProviderReference(value) ? value : HIDDEN;
}

/** `text` with every URL password replaced by `[hidden]`. */
export function maskUrlCredentials(text: string): string {
  if (!text.includes('@') && !/pass|pwd/i.test(text)) return text;
  return text
    .replace(userinfo, (_m, head: string, password: string) => `${head}:${hidden(password)}@`)
    .replace(queryPassword, (_m, head: string, password: string) => `${head}${hidden(password)}`);
}

/** The passwords in a URL, as written and percent-decoded, for the logger's secret list. */
export function urlPasswords(text: string): string[] {
  const found: string[] = [];
  for (const pattern of [userinfo, queryPassword]) {
    for (const match of text.matchAll(pattern)) {
      const password = match[2] ?? '';
      if (password === '') continue;
      found.push(password);
      try {
        const decoded = decodeURIComponent(password);
        if (decoded !== password) found.push(decoded);
      } catch {
        // not percent-encoded: the written form is the password
      }
    }
  }
  return found;
}
