/* Huiguan public pages: small enhancements only; every page works without this file.
   An external file, so the Content-Security-Policy stays script-src 'self'. */
(function () {
  "use strict";

  // Print buttons (ticket card, poster) exist only where printing is one tap away.
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }

  // A form that came back with errors: the summary takes the focus (the server marks it
  // autofocus; this covers browsers that skip autofocus on a non-control) and comes into view,
  // so on a phone the visitor sees what went wrong rather than the top of the page.
  const summary = document.getElementById("error-summary");
  if (summary) {
    if (document.activeElement !== summary) summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: "start" });
  }
})();
