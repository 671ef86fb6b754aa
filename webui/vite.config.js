import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  // The UI calls its API on the origin that served it; left undefined, the page crashes at start.
  define: { 'import.meta.env.VITE_API': JSON.stringify('') },
  build: { chunkSizeWarningLimit: 4096, reportCompressedSize: false },
});
