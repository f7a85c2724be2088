// Where to go after signing in: only somewhere on this site (no open redirect).
// No DOM here: tests/unit/test_login_redirect.py runs it under node.

// `wanted` resolved the way the browser will resolve it (the URL parser: "\" is "/",
// tabs and newlines vanish, "/./" collapses), kept only if it stays on `origin`. The
// absolute URL is returned, never the path: a path such as "//elsewhere" that the
// parser produced would itself leave the site when assigned.
export function sameOriginTarget(wanted, origin, fallback = "/web/") {
  const home = new URL(fallback, origin).href;
  if (typeof wanted !== "string" || wanted === "") return home;
  let url;
  try {
    url = new URL(wanted, origin);
  } catch {
    return home;
  }
  if (url.origin !== origin || !["http:", "https:"].includes(url.protocol)) return home;
  return url.href;
}
