// The UI package's Tailwind plugin, imported by file: its package exports only define `import`,
// which Tailwind's config loader does not use.
import defaultTheme from 'tailwindcss/defaultTheme';
import temporal, { textStyles } from './node_modules/@temporalio/ui/dist/theme/plugin.js';

export default {
  content: ['./src/**/*.{html,js,svelte,ts}', './node_modules/@temporalio/ui/dist/**/*.{html,js,svelte}'],
  darkMode: ['selector', '[data-theme="dark"]'],
  theme: {
    fontFamily: {
      // The font registers as "Inter Variable".
      sans: ['Inter Variable', 'Inter', ...defaultTheme.fontFamily.sans],
      mono: ['Noto Sans Mono', ...defaultTheme.fontFamily.mono],
    },
    extend: { animation: { 'spin-slow': 'spin 3s linear infinite' }, zIndex: { 100: '100' } },
  },
  plugins: [temporal, textStyles],
};
