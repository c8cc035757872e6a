// Progressive enhancement of the survey form: works without it, better with it.
(function () {
  "use strict";
  var form = document.getElementById("survey");
  if (!form) return;
  var status = document.getElementById("autosave");
  var number = new Intl.NumberFormat(document.documentElement.lang || "en");

  // Running totals of points items.
  function updateTotals() {
    document.querySelectorAll("output[data-total]").forEach(function (out) {
      var id = out.id.replace(/^total-/, "");
      var sum = 0;
      form.querySelectorAll('input[data-points="' + id + '"]').forEach(function (input) {
        var v = parseInt(input.value.replace(/[۰-۹]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹".indexOf(d); }), 10);
        if (!isNaN(v)) sum += v;
      });
      out.textContent = out.dataset.template.replace("{given}", number.format(sum));
    });
  }

  // Save answers as the respondent goes (the server keeps a draft for this link).
  var timer = null;
  function autosave() {
    var data = new FormData(form);
    data.delete("_action");
    fetch(form.dataset.draft, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" })
      .then(function (r) { if (r.ok && status) status.textContent = status.dataset.text; })
      .catch(function () {});
  }
  form.addEventListener("input", function () {
    updateTotals();
    if (status) status.textContent = "";
    clearTimeout(timer);
    timer = setTimeout(autosave, 2500);
  });

  // A second click while the first submit is on its way is ignored; the server would
  // answer it the same way anyway, thanks to the submission id.
  var sent = false;
  form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
    clearTimeout(timer);
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  updateTotals();
})();
