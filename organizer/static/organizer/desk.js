/* The desk's small behaviours, each switched on by a data- attribute (no inline script: CSP 'self'). */
(function () {
  "use strict";

  // <form data-confirm="..."> asks before submitting (a second guard; the confirm pages are the first).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
