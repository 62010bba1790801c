// The admin console's only script (no build step, nothing from elsewhere): conveniences
// that the pages work without. The content security policy forbids inline script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // The demo person picker switches at once when a choice is made.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  // A button that changes something asks once more when it says so.
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
  // Move focus to the first field with an error, so keyboard and screen reader users land on it.
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
});
