/** POSIX path arithmetic for guest paths (no host access). */

export function normalize(path: string): string {
  const abs = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') { if (out.length) out.pop(); continue; }
    out.push(part);
  }
  return (abs ? '/' : '') + out.join('/') || (abs ? '/' : '.');
}

export function joinPath(a: string, b: string): string {
  return normalize(a + '/' + b);
}

/** `path` relative to directory `base` (absolute paths stay as they are). */
export function resolvePath(base: string, path: string): string {
  if (path.startsWith('/')) return normalize(path);
  const r = normalize(base + '/' + path);
  // Keep a trailing slash meaningful for directories ("dir/" must be a directory).
  return path.endsWith('/') && r !== '/' ? r + '/' : r;
}
