// Starts reading the window's words (ui/locales, copied beside the wasm) while the wasm is
// still being fetched and compiled; ui/src/i18n.rs awaits this promise before the first screen.
// Every language the app speaks is listed here (a test in i18n.rs holds it).
window.avaWords = Promise.all(
  ["en", "fr", "he"].map((locale) =>
    fetch(`locales/${locale}.json`)
      .then((response) => response.json())
      .then((words) => [locale, words], () => [locale, null]),
  ),
).then(Object.fromEntries);
