// The Temporal Web UI as a static single-page site: every route renders in the browser
// (`ssr = false` in the root layout) and the server answers unknown paths with index.html.
import adapter from '@sveltejs/adapter-static';

/** @type {import('@sveltejs/kit').Config} */
export default {
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html' }),
    prerender: { entries: [] },
    // Scripts only from this origin (plus the hashed boot script SvelteKit inlines).
    csp: { mode: 'hash', directives: { 'script-src': ['self'], 'object-src': ['none'], 'base-uri': ['self'] } },
  },
};
