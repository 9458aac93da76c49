// Shared by the browser tests.

// Back to English, whatever a failed test left behind: one failure while the
// interface is in Persian or Arabic must not fail every test after it.
// The language lives in localStorage, so this works signed in or not.
export async function restoreEnglish(page) {
  if ((await page.getAttribute('html', 'lang')) === 'en') return;
  await page.evaluate(() => {
    localStorage.setItem('patron.locale', 'en');
    localStorage.removeItem('patron.calendar');
    localStorage.removeItem('patron.digits');
  });
  await page.reload();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
}
