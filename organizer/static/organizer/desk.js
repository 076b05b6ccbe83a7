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

  // The live completeness hint: per language, the texts written in another language but not in it.
  function updateCompleteness(list) {
    var inputs = document.querySelectorAll("[data-completeness-field]");
    var fields = {}; // field -> {label, values: {code: text}}
    inputs.forEach(function (input) {
      var name = input.dataset.completenessField;
      fields[name] = fields[name] || { label: input.dataset.completenessLabel || name, values: {} };
      fields[name].values[input.lang] = input.value.trim();
    });
    list.querySelectorAll("li[data-lang]").forEach(function (item) {
      var code = item.dataset.lang;
      var missing = [];
      Object.keys(fields).forEach(function (name) {
        var values = fields[name].values;
        var written = Object.keys(values).some(function (c) { return values[c] !== ""; });
        if (written && !values[code]) {
          missing.push(fields[name].label);
        }
      });
      var status = item.querySelector("[data-status]");
      status.textContent = missing.length ? list.dataset.missingText + " " + missing.join(", ") : list.dataset.completeText;
      item.classList.toggle("is-missing", missing.length > 0);
      item.classList.toggle("is-complete", missing.length === 0);
    });
  }

  // <input type=file data-image-preview="img-id">: show the chosen picture before uploading it.
  function previewImage(input) {
    var img = document.getElementById(input.dataset.imagePreview);
    var file = input.files && input.files[0];
    if (!img || !file) {
      return;
    }
    img.src = URL.createObjectURL(file);
    img.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector("[data-completeness]");
    if (list) {
      document.addEventListener("input", function (event) {
        if (event.target.dataset && event.target.dataset.completenessField) {
          updateCompleteness(list);
        }
      });
    }
    document.querySelectorAll("input[data-image-preview]").forEach(function (input) {
      input.addEventListener("change", function () { previewImage(input); });
    });
  });
})();
