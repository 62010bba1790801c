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
  // Sections marked data-refresh="N" (running actions and their progress) follow along:
  // every N seconds the page (data-from, or this one) is read again and only that section
  // is replaced.
  for (const section of document.querySelectorAll("[data-refresh]")) {
    const seconds = Math.max(2, Number(section.dataset.refresh) || 5);
    const follow = async () => {
      try {
        const from = section.dataset.from || window.location.pathname + window.location.search;
        const answer = await fetch(from, { credentials: "same-origin" });
        if (!answer.ok) return;
        const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
        const found = fresh.getElementById(section.id);
        if (found) section.innerHTML = found.innerHTML;
      } catch (error) { /* offline for a moment: the next round tries again */ }
    };
    window.setInterval(follow, seconds * 1000);
  }
  // Move focus to the first field with an error, so keyboard and screen reader users land on it.
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
});
