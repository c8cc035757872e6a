// Dashboard: pickers marked data-autosubmit reload the page when a choice changes.
// Everything still works without this script (each form has its own button).
document.addEventListener("change", (event) => {
  const form = event.target.closest && event.target.closest("form[data-autosubmit]");
  if (form && event.target.matches("select")) {
    form.requestSubmit();
  }
});
