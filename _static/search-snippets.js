// Search results: Sphinx builds each result's snippet from the page's text, where formulas are still raw TeX
// ("\(\mu\omega\)"). Show a formula as "(formula)" there instead. The search page loads Sphinx's searchtools.js,
// which defines the global Search; on other pages there is nothing to do.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  const original = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(".math").forEach((el) => el.replaceWith(page.createTextNode("(formula)")));
    return original(page.documentElement.outerHTML, anchor);
  };
});
