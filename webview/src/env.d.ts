// esbuild loads .css as text (scripts/build.mjs); the entry adopts it as a constructed sheet.
declare module '*.css' {
  const text: string;
  export default text;
}
