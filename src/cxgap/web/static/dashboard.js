// Dashboard: pickers marked data-autosubmit reload the page when a choice changes.
// Everything still works without this script (each form has its own button).
document.addEventListener("change", (event) => {
  const form = event.target.closest && event.target.closest("form[data-autosubmit]");
  if (form && event.target.matches("select")) {
    form.requestSubmit();
  }
});

// Parts of a page computed after it (marked data-part="URL"): fetched and put in place.
// Without this script the part's own link opens it as a page.
document.addEventListener("DOMContentLoaded", () => {
  for (const slot of document.querySelectorAll("[data-part]")) {
    fetch(slot.dataset.part, { credentials: "same-origin", headers: { accept: "text/html" } })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const parsed = new DOMParser().parseFromString(html, "text/html");
        const part = parsed.body.firstElementChild;
        if (part) {
          slot.replaceWith(document.importNode(part, true));
        }
      })
      .catch(() => {
        const loading = slot.querySelector("[data-loading]");
        if (loading) {
          loading.remove();
        }
      });
  }
});
